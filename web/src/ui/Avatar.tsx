/** Initials on a colour derived from the id, so the same agent always looks the same. */
export function Avatar({ id, size = 22, title }: { id: string; size?: number; title?: string }): React.JSX.Element {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const hue = hash % 360;
  const initials = id
    .split(/[-_:\s]/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0]!.toUpperCase())
    .join('');
  return (
    <span
      className="avatar"
      title={title ?? id}
      aria-label={title ?? id}
      style={{ width: size, height: size, fontSize: size * 0.42, background: `hsl(${hue} 55% 46%)` }}
    >
      {initials || '?'}
    </span>
  );
}
