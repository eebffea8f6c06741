import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageText } from './MessageText';

afterEach(cleanup);

describe('MessageText', () => {
  it('renders markup as visible text, never as elements', () => {
    const text = '<img src=x onerror=alert(1)> <script>alert(2)</script> <b>bold</b>';
    const { container } = render(<MessageText text={text} usernames={new Map()} />);
    expect(container.textContent).toBe(text);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
  });

  it('makes http(s) links clickable, opening in a new tab without an opener', () => {
    const { container } = render(
      <MessageText text="docs at https://example.com/a?b=1&c=2. not javascript:alert(1)" usernames={new Map()} />,
    );
    const links = container.querySelectorAll('a');
    expect(links).toHaveLength(1);
    const a = links[0]!;
    expect(a.getAttribute('href')).toBe('https://example.com/a?b=1&c=2');
    expect(a.getAttribute('target')).toBe('_blank');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
    expect(container.textContent).toContain('not javascript:alert(1)');
  });

  it('highlights mentions of members, and the reader specially', () => {
    const { container } = render(
      <MessageText text="hi @ann and @bob" usernames={new Map([['ann', 'u1'], ['bob', 'u2']])} me="u2" />,
    );
    const mentions = [...container.querySelectorAll('.mention')].map((e) => [e.textContent, e.classList.contains('me')]);
    expect(mentions).toEqual([
      ['@ann', false],
      ['@bob', true],
    ]);
  });
});
