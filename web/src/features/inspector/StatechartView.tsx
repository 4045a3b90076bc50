import { BaseEdge, Background, Controls, EdgeLabelRenderer, Handle, MarkerType, Position, ReactFlow, type Edge, type EdgeProps, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { memo, useMemo } from 'react';
import type { Chart, ChartEdge } from './statechart-layout.ts';

type StateData = { label: string; active: boolean; compound: boolean; final: boolean; initial: boolean; parallel: boolean };
type StateNodeType = Node<StateData, 'state'>;

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
function chartBounds(chart: Chart): { width: number; height: number } {
  let width = 1;
  let height = 1;
  for (const n of chart.nodes) {
    if (n.parentId) continue;
    width = Math.max(width, n.x + n.width);
    height = Math.max(height, n.y + n.height);
  }
  for (const e of chart.edges) {
    for (const p of e.points) {
      width = Math.max(width, p.x);
      height = Math.max(height, p.y);
    }
    if (e.label) {
      width = Math.max(width, e.label.x + e.label.width);
      height = Math.max(height, e.label.y + e.label.height);
    }
  }
  return { width, height };
}

/** Room around the chart; the left side keeps the zoom controls off the states. */
const FIT_PADDING = { top: 16, right: 16, bottom: 16, left: 56 };
const FIT_PADDING_PX = {
  top: `${FIT_PADDING.top}px`,
  right: `${FIT_PADDING.right}px`,
  bottom: `${FIT_PADDING.bottom}px`,
  left: `${FIT_PADDING.left}px`,
} as const;

const nodeTypes = { state: StateNode };
const edgeTypes = { route: RouteEdge };

export function StatechartView({ chart, active }: { chart: Chart; active: Set<string> }): React.JSX.Element {
  const nodes = useMemo<StateNodeType[]>(
    () =>
      chart.nodes.map((n) => ({
        id: n.id,
        type: 'state',
        position: { x: n.x, y: n.y },
        ...(n.parentId ? { parentId: n.parentId, extent: 'parent' as const } : {}),
        data: { label: n.key, active: active.has(n.id), compound: n.compound, final: n.final, initial: n.initial, parallel: n.parallel },
        style: { width: n.width, height: n.height },
        draggable: false,
        selectable: false,
        zIndex: n.compound ? 0 : 1,
      })),
    [chart, active],
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
  const aspect = useMemo(() => {
    const { width, height } = chartBounds(chart);
    return `${Math.round(width + FIT_PADDING.left + FIT_PADDING.right)} / ${Math.round(height + FIT_PADDING.top + FIT_PADDING.bottom)}`;
  }, [chart]);
  return (
    <div className="statechart" data-testid="statechart" style={{ aspectRatio: aspect }}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        fitView
        fitViewOptions={{ padding: FIT_PADDING_PX }}
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
