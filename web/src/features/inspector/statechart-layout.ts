import ELK, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js';
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

const elk = new ELK();
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
  const machine = createMachine(definition as Parameters<typeof createMachine>[0]);
  const graph = toDirectedGraph(machine);
  const edges: ChartEdge[] = [];
  const eventsByState: Record<string, string[]> = {};

  const toElk = (node: DirectedGraphNode): ElkNode => {
    const stateNode = node.stateNode;
    eventsByState[node.id] = Object.keys(stateNode.on ?? {}).filter((e) => !e.startsWith('xstate.') && e !== '');
    for (const edge of node.edges) {
      if (edge.source.id === edge.target.id) continue; // self-loops are listed, not drawn
      edges.push({ id: edge.id, source: edge.source.id, target: edge.target.id, event: eventLabel(edge.transition.eventType) });
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
      'elk.layered.spacing.nodeNodeBetweenLayers': '70',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeRouting': 'SPLINES',
    },
    children: graph.children.map(toElk),
    edges: edges.map<ElkExtendedEdge>((e) => ({
      id: e.id,
      sources: [e.source],
      targets: [e.target],
      labels: [{ text: e.event, width: e.event.length * 6.5 + 8, height: 14 }],
    })),
  };
  const laid = await elk.layout(root);

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
