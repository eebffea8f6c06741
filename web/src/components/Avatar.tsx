import { useState } from 'react';
import { safeHref, initials } from '../lib/text';

const HUES = [262, 200, 340, 24, 160, 290, 45, 130, 0, 220];

function hueOf(seed: string): number {
  let h = 0;
  for (let i = 0; i < seed.length; i++) h = (h * 31 + seed.charCodeAt(i)) >>> 0;
  return HUES[h % HUES.length]!;
}

/** A round picture, or initials on a colour derived from the id; an optional online dot. */
export function Avatar({
  name,
  seed,
  url,
  size = 40,
  online,
  group,
}: {
  name: string;
  seed: string;
  url?: string;
  size?: number;
  online?: boolean;
  group?: boolean;
}) {
  const [broken, setBroken] = useState(false);
  const href = url ? safeHref(url) : null;
  const hue = hueOf(seed);
  return (
    <span className="avatar" style={{ width: size, height: size, fontSize: size * 0.4 }} aria-hidden="true">
      {href && !broken ? (
        <img src={href} alt="" width={size} height={size} onError={() => setBroken(true)} referrerPolicy="no-referrer" />
      ) : (
        <span
          className="avatar-initials"
          style={{ background: `hsl(${hue} 65% 92%)`, color: `hsl(${hue} 55% 32%)` }}
          data-group={group ? 'true' : undefined}
        >
          {initials(name)}
        </span>
      )}
      {online !== undefined && <span className={online ? 'dot online' : 'dot'} />}
    </span>
  );
}
