import { MissionError } from '../../core/index.js';
import type { BusMessage } from './types.js';

/**
 * The parts of a message both buses treat alike: payload encoding, header rules and the
 * message object handlers receive.
 */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024; // nats-server's default max_payload

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// RFC 7230 token characters: what NATS (MIME-style) headers accept as a key.
const HEADER_KEY_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** Refuses header keys and values NATS cannot carry (and a CR/LF would inject protocol lines). */
export function assertHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [key, value] of Object.entries(headers)) {
    if (!HEADER_KEY_RE.test(key)) {
      throw new MissionError('INVALID_INPUT', 'A header name may only contain token characters', { header: key });
    }
    if (typeof value !== 'string' || /[\r\n]/.test(value)) {
      throw new MissionError('INVALID_INPUT', 'A header value must be a string without line breaks', { header: key });
    }
    out[key] = value;
  }
  return out;
}

/** Bytes the headers add on the wire (NATS counts them against max_payload). */
export function headersSize(headers: Record<string, string>): number {
  const entries = Object.entries(headers);
  if (entries.length === 0) return 0;
  // "NATS/1.0\r\n" + "k: v\r\n"… + "\r\n"
  return entries.reduce((n, [k, v]) => n + encoder.encode(k).length + encoder.encode(v).length + 4, 12);
}

export function assertPayloadSize(size: number, maxPayload: number, subject: string): void {
  if (size > maxPayload) {
    throw new MissionError('LIMIT_EXCEEDED', `The message is ${size} bytes; the bus carries at most ${maxPayload}`, {
      subject,
      size,
      max_payload: maxPayload,
    });
  }
}

export function createBusMessage(
  subject: string,
  data: Uint8Array,
  headers: Record<string, string>,
  respond?: BusMessage['respond'],
): BusMessage {
  const message: BusMessage = {
    subject,
    data,
    headers,
    json<T = unknown>(): T {
      try {
        return JSON.parse(decoder.decode(data)) as T;
      } catch (err) {
        throw new MissionError('INVALID_INPUT', 'The message is not valid JSON', { subject, reason: String(err) });
      }
    },
    string(): string {
      return decoder.decode(data);
    },
  };
  if (respond) message.respond = respond;
  return message;
}

export function noResponders(subject: string): MissionError {
  return new MissionError('BUS_UNAVAILABLE', `Nothing serves ${subject}`, { subject, no_responders: true });
}

/** Where a throwing handler is reported; a handler must never break delivery to the others. */
export type HandlerErrorReporter = (err: unknown, subject: string) => void;

export const warnHandlerError: HandlerErrorReporter = (err, subject) => {
  process.emitWarning(`bus handler for ${subject} threw: ${err instanceof Error ? err.message : String(err)}`, 'MissionBusWarning');
};
