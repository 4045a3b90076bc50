export { OpenClawDriver, openClawDriverConfig, type OpenClawDriverConfig } from './driver.js';
export { GatewayConnection, type ConnectionState, type GatewayConnectionOptions } from './connection.js';
export { connectParams, instanceFromSessionKey, sessionKeyFor, OPERATOR_SCOPES, PROTOCOL_VERSION } from './frames.js';
