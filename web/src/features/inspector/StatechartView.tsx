import { Background, Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { memo, useMemo } from 'react';
import type { Chart } from './statechart-layout.ts';

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

const nodeTypes = { state: StateNode };

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
  const edges = useMemo<Edge[]>(
    () =>
      chart.edges.map((e) => {
        const hot = active.has(e.source);
        return {
          id: e.id,
          source: e.source,
          target: e.target,
          label: e.event,
          className: hot ? 'sc-edge hot' : 'sc-edge',
          markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
          zIndex: 2,
          labelBgPadding: [4, 2] as [number, number],
          labelBgBorderRadius: 4,
        };
      }),
    [chart, active],
  );
  return (
    <div className="statechart" data-testid="statechart">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={{ padding: 0.12 }}
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
