import { lazy, Suspense } from 'react';

// The markdown pipeline (micromark, mdast, hast) is only needed where documents are read.
const ReactMarkdown = lazy(() => import('react-markdown'));

export function Markdown({ children }: { children: string }): React.JSX.Element {
  return (
    <Suspense fallback={<pre className="markdown-fallback">{children}</pre>}>
      <ReactMarkdown>{children}</ReactMarkdown>
    </Suspense>
  );
}
