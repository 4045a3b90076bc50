/// <reference types="vite/client" />
import type { ELK as ElkApi, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { createMachine } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';

/** A laid-out statechart: positions relative to the parent, as React Flow wants them. */
export interface ChartNode {
  id: string;
  key: string;
  parentId: string | null;
  x: number;
  y: number;
  width: number;
  height: number;
  compound: boolean;
  final: boolean;
  parallel: boolean;
  initial: boolean;
}

export interface ChartEdge {
  id: string;
  source: string;
  target: string;
  event: string;
  /** The route ELK computed, in absolute chart coordinates. */
  points: { x: number; y: number }[];
  label: { x: number; y: number; width: number; height: number } | null;
}

export interface Chart {
  nodes: ChartNode[];
  edges: ChartEdge[];
  /** Event types accepted in each state (with or without a target), for "send event". */
  eventsByState: Record<string, string[]>;
}

export interface MachineInfo {
  kind: string;
  id: string;
  version: number;
  definition: unknown;
}

// elkjs is CommonJS: bundlers hand over the constructor, Node's ESM interop the module object.
type ElkConstructor = new (options?: { workerUrl?: string }) => ElkApi;
const constructorOf = (mod: unknown): ElkConstructor => ((mod as { default?: ElkConstructor }).default ?? mod) as ElkConstructor;

let elkReady: Promise<ElkApi> | null = null;
/**
 * In a browser ELK (1.4 MB of compiled Java) runs in a Web Worker: its layout takes hundreds of
 * milliseconds for the agent machine, which would stall the live feed on the main thread. Node
 * (unit tests) has no global Worker and uses the bundled build, imported by a name the bundler
 * does not follow so the browser build carries only the worker.
 */
function elk(): Promise<ElkApi> {
  elkReady ??= (async () => {
    if ('Worker' in globalThis) {
      const [api, worker] = await Promise.all([import('elkjs/lib/elk-api.js'), import('elkjs/lib/elk-worker.min.js?url')]);
      return new (constructorOf(api))({ workerUrl: worker.default });
    }
    const bundled = 'elkjs/lib/elk.bundled.js';
    return new (constructorOf(await import(/* @vite-ignore */ bundled)))();
  })();
  return elkReady;
}
const cache = new Map<string, Promise<Chart>>();

/** Layout is pure in the machine definition, so it is computed once per machine version. */
export function layoutMachine(machine: MachineInfo): Promise<Chart> {
  const key = `${machine.kind}:${machine.id}:${machine.version}`;
  let chart = cache.get(key);
  if (!chart) {
    chart = computeChart(machine.definition);
    cache.set(key, chart);
    chart.catch(() => cache.delete(key));
  }
  return chart;
}

function eventLabel(type: string): string {
  if (type.startsWith('xstate.after')) return 'after';
  if (type === '') return 'always';
  return type;
}

async function computeChart(definition: unknown): Promise<Chart> {
  // The server sends `machine.toJSON()`; createMachine accepts it back (targets are '#id' paths),
  // and xstate/graph turns it into nodes and edges without running any guard or action.
  const machine = createMachine(definitionToConfig(definition) as Parameters<typeof createMachine>[0]);
  const graph = toDirectedGraph(machine);
  const edges: ChartEdge[] = [];
  const eventsByState: Record<string, string[]> = {};

  const toElk = (node: DirectedGraphNode): ElkNode => {
    const stateNode = node.stateNode;
    eventsByState[node.id] = Object.keys(stateNode.on ?? {}).filter((e) => !e.startsWith('xstate.') && e !== '');
    for (const edge of node.edges) {
      if (edge.source.id === edge.target.id) continue; // self-loops are listed, not drawn
      edges.push({ id: edge.id, source: edge.source.id, target: edge.target.id, event: eventLabel(edge.transition.eventType), points: [], label: null });
    }
    const label = stateNode.key;
    if (node.children.length === 0) return { id: node.id, width: Math.max(96, label.length * 7.5 + 36), height: 38 };
    return {
      id: node.id,
      layoutOptions: { 'elk.padding': '[top=34,left=14,bottom=14,right=14]' },
      children: node.children.map(toElk),
    };
  };

  const root: ElkNode = {
    id: '__root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '30',
      'elk.spacing.nodeNode': '36',
      'elk.spacing.edgeEdge': '10',
      'elk.layered.spacing.edgeEdgeBetweenLayers': '6',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.edgeLabels.inline': 'true',
    },
    children: graph.children.map(toElk),
    edges: edges.map<ElkExtendedEdge>((e) => ({
      id: e.id,
      sources: [e.source],
      targets: [e.target],
      labels: [{ text: e.event, width: e.event.length * 6.5 + 8, height: 14 }],
    })),
  };
  const laid = await (await elk()).layout(root);

  // Edge routes are relative to their container (the lowest common ancestor): make them absolute.
  const absolute = new Map<string, { x: number; y: number }>([['__root', { x: 0, y: 0 }]]);
  const place = (n: ElkNode, ox: number, oy: number): void => {
    for (const child of n.children ?? []) {
      const at = { x: ox + (child.x ?? 0), y: oy + (child.y ?? 0) };
      absolute.set(child.id, at);
      place(child, at.x, at.y);
    }
  };
  place(laid, 0, 0);
  const routes = new Map<string, ElkExtendedEdge>();
  const gather = (n: ElkNode): void => {
    for (const e of n.edges ?? []) routes.set(e.id, e);
    for (const child of n.children ?? []) gather(child);
  };
  gather(laid);
  for (const edge of edges) {
    const route = routes.get(edge.id);
    const origin = absolute.get((route as { container?: string } | undefined)?.container ?? '__root') ?? { x: 0, y: 0 };
    const section = route?.sections?.[0];
    if (section) {
      edge.points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map((p) => ({ x: p.x + origin.x, y: p.y + origin.y }));
    }
    const label = route?.labels?.[0];
    if (label && label.x !== undefined && label.y !== undefined) {
      edge.label = { x: label.x + origin.x, y: label.y + origin.y, width: label.width ?? 0, height: label.height ?? 0 };
    }
  }

  const nodes: ChartNode[] = [];
  const initials = new Set<string>();
  const collect = (n: DirectedGraphNode): void => {
    const initial = n.stateNode.initial?.target?.[0];
    if (initial) initials.add(initial.id);
    n.children.forEach(collect);
  };
  collect(graph);
  const flatten = (n: ElkNode, parentId: string | null): void => {
    for (const child of n.children ?? []) {
      const sn = machine.getStateNodeById(child.id);
      nodes.push({
        id: child.id,
        key: sn.key,
        parentId,
        x: child.x ?? 0,
        y: child.y ?? 0,
        width: child.width ?? 100,
        height: child.height ?? 38,
        compound: (child.children?.length ?? 0) > 0,
        final: sn.type === 'final',
        parallel: sn.type === 'parallel',
        initial: initials.has(child.id),
      });
      flatten(child, child.id);
    }
  };
  flatten(laid, null);
  return { nodes, edges, eventsByState };
}

interface JsonStateNode {
  id?: string;
  key?: string;
  type?: string;
  initial?: unknown;
  states?: Record<string, JsonStateNode>;
  on?: Record<string, { target?: unknown; eventType?: string }[] | undefined>;
}

/**
 * Reduces `machine.toJSON()` to what the graph needs (states, initial keys, event targets), so
 * guards, actions and invokes that only exist on the server never have to resolve here.
 */
export function definitionToConfig(definition: unknown): Record<string, unknown> {
  const convert = (node: JsonStateNode): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (node.id) out.id = node.id.includes('.') ? undefined : node.id;
    if (node.type === 'parallel' || node.type === 'final' || node.type === 'history') out.type = node.type;
    const states = node.states ?? {};
    if (Object.keys(states).length > 0) {
      out.states = Object.fromEntries(Object.entries(states).map(([k, child]) => [k, convert(child)]));
      if (node.type !== 'parallel') out.initial = initialKey(node.initial, states);
    }
    const on: Record<string, { target: string[] }[]> = {};
    for (const [event, transitions] of Object.entries(node.on ?? {})) {
      const list = (transitions ?? [])
        .map((tr) => (Array.isArray(tr.target) ? tr.target.filter((x): x is string => typeof x === 'string') : typeof tr.target === 'string' ? [tr.target] : []))
        .filter((targets) => targets.length > 0)
        .map((targets) => ({ target: targets.map((x) => (x.startsWith('#') ? x : `#${x}`)) }));
      if (list.length > 0) on[event] = list;
    }
    if (Object.keys(on).length > 0) out.on = on;
    if (out.id === undefined) delete out.id;
    return out;
  };
  return convert(definition as JsonStateNode);
}

function initialKey(initial: unknown, states: Record<string, JsonStateNode>): string | undefined {
  const first = Object.keys(states)[0];
  let ref: unknown = initial;
  if (ref && typeof ref === 'object') {
    const target = (ref as { target?: unknown }).target;
    ref = Array.isArray(target) ? target[0] : target;
  }
  if (ref && typeof ref === 'object' && 'key' in ref) return String((ref as { key: unknown }).key);
  if (typeof ref !== 'string') return first;
  const key = ref.slice(ref.lastIndexOf('.') + 1);
  return key in states ? key : first;
}

/** The ids of the state nodes a state value activates: 'backlog' → {'task.backlog'}. */
export function activeStateIds(machineId: string, value: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (prefix: string, v: unknown): void => {
    if (typeof v === 'string') out.add(`${prefix}.${v}`);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        out.add(`${prefix}.${k}`);
        walk(`${prefix}.${k}`, child);
      }
    }
  };
  walk(machineId, value);
  return out;
}
