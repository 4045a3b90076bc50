import type { MissionSocket } from '../api/mission-socket.ts';
import { ProjectFeed, type FeedNotice } from './project-feed.ts';

/** The tab's project feeds: one per project looked at, all fed by the one socket. */
export class Feeds {
  private readonly feeds = new Map<string, ProjectFeed>();

  constructor(
    private readonly socket: MissionSocket,
    private readonly onNotice: (projectId: string, notice: FeedNotice) => void,
    private readonly onResynced: () => void = () => undefined,
  ) {
    socket.onNotification((n) => {
      const projectId = n.params.project_id;
      if (typeof projectId === 'string') this.feeds.get(projectId)?.handle(n);
    });
    socket.onReopen(() => {
      const resyncs = [...this.feeds.values()].map((feed) => feed.resync());
      void Promise.all(resyncs).then(this.onResynced, () => undefined);
    });
  }

  get(projectId: string): ProjectFeed {
    let feed = this.feeds.get(projectId);
    if (!feed) {
      feed = new ProjectFeed(projectId, this.socket, (notice) => this.onNotice(projectId, notice));
      this.feeds.set(projectId, feed);
      void feed.load();
    }
    return feed;
  }
}
