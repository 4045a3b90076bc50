import { useSelector } from '@xstate/react';
import { useMission } from '../app/mission-context.ts';
import type { ProjectFeed } from './project-feed.ts';
import type { ProjectState } from './project-state.ts';

export function useFeed(projectId: string): ProjectFeed {
  return useMission().feeds.get(projectId);
}

/** Reads the project's remote snapshot through `useSelector`, like any actor. */
export function useProject<T>(projectId: string, select: (s: ProjectState) => T, compare?: (a: T, b: T) => boolean): T {
  const feed = useFeed(projectId);
  return useSelector(feed.ref, select, compare);
}
