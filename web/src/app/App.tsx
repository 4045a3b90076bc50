import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { Route, Routes } from 'react-router-dom';
import { fetchSession, type Session } from '../api/auth.ts';
import { SignIn } from '../features/auth/SignIn.tsx';
import { ProjectsOverview } from '../features/projects/ProjectsOverview.tsx';
import { ProjectLayout } from '../features/projects/ProjectLayout.tsx';
import { BoardPage } from '../features/board/BoardPage.tsx';
import { AgentsPage } from '../features/agents/AgentsPage.tsx';
import { DocumentsPage } from '../features/docs/DocumentsPage.tsx';
import { t } from '../i18n/index.ts';
import { Toaster } from '../ui/toasts.tsx';
import { Loading, NotFound } from '../ui/states.tsx';
import { MissionProvider } from './MissionProvider.tsx';
import { Shell } from './Shell.tsx';

// The inspector pulls in React Flow, elkjs and xstate/graph: a separate chunk loaded only there.
const InspectorPage = lazy(() => import('../features/inspector/InspectorPage.tsx'));

export function App(): React.JSX.Element {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setSession(await fetchSession());
    } catch {
      setSession(null);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const expired = useCallback(() => {
    setNotice(t.auth.expired);
    setSession(null);
  }, []);

  if (session === undefined) return <Loading full />;
  if (session === null) {
    return (
      <>
        <SignIn notice={notice} onSignedIn={() => { setNotice(null); void refresh(); }} />
        <Toaster />
      </>
    );
  }
  return (
    <MissionProvider session={session} onExpired={expired} onSignedOut={() => setSession(null)} refreshSession={refresh}>
      <Shell>
        <Routes>
          <Route path="/" element={<ProjectsOverview />} />
          <Route path="/p/:projectId" element={<ProjectLayout />}>
            <Route index element={<BoardPage />} />
            <Route path="t/:taskId" element={<BoardPage />} />
            <Route path="agents" element={<AgentsPage />} />
            <Route path="docs" element={<DocumentsPage />} />
            <Route path="docs/*" element={<DocumentsPage />} />
            <Route
              path="inspect/:actorId?"
              element={
                <Suspense fallback={<Loading />}>
                  <InspectorPage />
                </Suspense>
              }
            />
          </Route>
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Shell>
      <Toaster />
    </MissionProvider>
  );
}
