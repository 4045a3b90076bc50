import { BaseEdge, Background, Controls, EdgeLabelRenderer, Handle, MarkerType, Position, ReactFlow, type Edge, type EdgeProps, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { memo, useMemo } from 'react';
import type { Chart, ChartEdge } from './statechart-layout.ts';

type StateData = { label: string; active: boolean; compound: boolean; final: boolean; initial: boolean; parallel: boolean };
type StateNodeType = Node<StateData, 'state'>;
type BoundsNodeType = Node<Record<string, never>, 'bounds'>;

const StateNode = memo(function StateNode({ data }: NodeProps<StateNodeType>): React.JSX.Element {
  const cls = ['sc-node', data.compound ? 'compound' : 'leaf', data.active ? 'active' : '', data.final ? 'final' : '', data.parallel ? 'parallel' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div className={cls} data-testid={`state-${data.label}`} data-active={data.active}>
      <Handle type="target" position={Position.Left} className="sc-handle" isConnectable={false} />
      {data.initial && <span className="sc-initial" aria-hidden="true" />}
      <span className="sc-label">{data.label}</span>
      <Handle type="source" position={Position.Right} className="sc-handle" isConnectable={false} />
    </div>
  );
});

type RouteData = { route: ChartEdge; hot: boolean };
type RouteEdgeType = Edge<RouteData, 'route'>;

/** Draws the orthogonal route ELK computed (rounded corners) instead of React Flow's own curve. */
const RouteEdge = memo(function RouteEdge({ id, data, markerEnd, sourceX, sourceY, targetX, targetY }: EdgeProps<RouteEdgeType>): React.JSX.Element {
  const route = data?.route;
  const points = route && route.points.length >= 2 ? route.points : [{ x: sourceX, y: sourceY }, { x: targetX, y: targetY }];
  const path = roundedPath(points, 6);
  const label = route?.label;
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} className={data?.hot ? 'sc-route hot' : 'sc-route'} />
      {route && label && (
        <EdgeLabelRenderer>
          <div
            className={data?.hot ? 'sc-edge-label hot' : 'sc-edge-label'}
            style={{ transform: `translate(${label.x}px, ${label.y - 2}px)` }}
          >
            {route.event}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
});

function roundedPath(points: { x: number; y: number }[], r: number): string {
  let d = `M ${points[0]!.x} ${points[0]!.y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const prev = points[i - 1]!;
    const at = points[i]!;
    const next = points[i + 1]!;
    const inLen = Math.hypot(at.x - prev.x, at.y - prev.y);
    const outLen = Math.hypot(next.x - at.x, next.y - at.y);
    const k = Math.min(r, inLen / 2, outLen / 2);
    const a = { x: at.x - ((at.x - prev.x) / (inLen || 1)) * k, y: at.y - ((at.y - prev.y) / (inLen || 1)) * k };
    const b = { x: at.x + ((next.x - at.x) / (outLen || 1)) * k, y: at.y + ((next.y - at.y) / (outLen || 1)) * k };
    d += ` L ${a.x} ${a.y} Q ${at.x} ${at.y} ${b.x} ${b.y}`;
  }
  const last = points[points.length - 1]!;
  return `${d} L ${last.x} ${last.y}`;
}

/** The extent of everything drawn: top-level states, edge routes and their labels. */
function chartBounds(chart: Chart): { x: number; y: number; width: number; height: number } {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const take = (x0: number, y0: number, x1: number, y1: number): void => {
    minX = Math.min(minX, x0);
    minY = Math.min(minY, y0);
    maxX = Math.max(maxX, x1);
    maxY = Math.max(maxY, y1);
  };
  for (const n of chart.nodes) if (!n.parentId) take(n.x, n.y, n.x + n.width, n.y + n.height);
  for (const e of chart.edges) {
    for (const p of e.points) take(p.x, p.y, p.x, p.y);
    if (e.label) take(e.label.x, e.label.y, e.label.x + e.label.width, e.label.y + e.label.height);
  }
  if (minX === Infinity) return { x: 0, y: 0, width: 1, height: 1 };
  return { x: minX, y: minY, width: Math.max(1, maxX - minX), height: Math.max(1, maxY - minY) };
}

/**
 * React Flow fits the view to nodes only; routes that loop above or beside the states would be
 * cut off. An invisible node covering everything drawn makes `fitView` frame the whole chart.
 */
const BoundsNode = memo(function BoundsNode(): React.JSX.Element {
  return <div className="sc-bounds" aria-hidden="true" />;
});

/** Room around the chart; the left side keeps the zoom controls off the states. */
const FIT_PADDING = { top: 16, right: 16, bottom: 16, left: 56 };
const FIT_PADDING_PX = {
  top: `${FIT_PADDING.top}px`,
  right: `${FIT_PADDING.right}px`,
  bottom: `${FIT_PADDING.bottom}px`,
  left: `${FIT_PADDING.left}px`,
} as const;

const nodeTypes = { state: StateNode, bounds: BoundsNode };
const edgeTypes = { route: RouteEdge };

export function StatechartView({ chart, active }: { chart: Chart; active: Set<string> }): React.JSX.Element {
  const bounds = useMemo(() => chartBounds(chart), [chart]);
  const nodes = useMemo<(StateNodeType | BoundsNodeType)[]>(
    () => [
      {
        id: '__bounds',
        type: 'bounds' as const,
        position: { x: bounds.x, y: bounds.y },
        data: {},
        width: bounds.width,
        height: bounds.height,
        style: { pointerEvents: 'none' },
        draggable: false,
        selectable: false,
        focusable: false,
        zIndex: -1,
      },
      ...chart.nodes.map((n): StateNodeType => ({
        id: n.id,
        type: 'state',
        position: { x: n.x, y: n.y },
        ...(n.parentId ? { parentId: n.parentId, extent: 'parent' as const } : {}),
        data: { label: n.key, active: active.has(n.id), compound: n.compound, final: n.final, initial: n.initial, parallel: n.parallel },
        // Fixed dimensions (the layout's): React Flow shows a node at once, where a node known only
        // by its style stays hidden until measured, and is hidden again whenever the live state
        // changes (every node is a new object then), which on a busy agent can be all the time.
        width: n.width,
        height: n.height,
        draggable: false,
        selectable: false,
        zIndex: n.compound ? 0 : 1,
      })),
    ],
    [chart, active, bounds],
  );
  const edges = useMemo<RouteEdgeType[]>(
    () =>
      chart.edges.map((e) => ({
        id: e.id,
        type: 'route',
        source: e.source,
        target: e.target,
        data: { route: e, hot: active.has(e.source) },
        markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14 },
        zIndex: 2,
      })),
    [chart, active],
  );
  // The frame takes the chart's proportions (within CSS min/max heights): a wide, flat machine
  // does not leave half the card empty and pushes the event log less far down.
  const aspect = `${Math.round(bounds.width + FIT_PADDING.left + FIT_PADDING.right)} / ${Math.round(bounds.height + FIT_PADDING.top + FIT_PADDING.bottom)}`;
  return (
    <div className="statechart" data-testid="statechart" style={{ aspectRatio: aspect }}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        fitView
        fitViewOptions={{ padding: FIT_PADDING_PX, maxZoom: 1.15 }}
        nodesConnectable={false}
        nodesDraggable={false}
        elementsSelectable={false}
        proOptions={{ hideAttribution: true }}
        minZoom={0.2}
      >
        <Background gap={16} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
