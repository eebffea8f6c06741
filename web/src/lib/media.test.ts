import { describe, expect, it, vi } from 'vitest';
import { cleanFileName, MediaUrls, putWithProgress, sameOriginUrl, type XhrLike } from './media';

describe('media', () => {
  it("makes the server's own blob URLs relative, leaves others alone", () => {
    expect(sameOriginUrl('http://127.0.0.1:8080/api/v1/media/blob/k1?expires=1&sig=a', 'http://localhost:8080/')).toBe(
      '/api/v1/media/blob/k1?expires=1&sig=a',
    );
    expect(sameOriginUrl('https://bucket.s3.example/k1?X-Amz=1', 'http://localhost/')).toBe('https://bucket.s3.example/k1?X-Amz=1');
  });

  it('caches download URLs until shortly before they expire, and shares one request', async () => {
    let now = 0;
    const fetchUrl = vi.fn(async (_c: string, key: string) => ({
      url: `https://cdn.example/${key}?v=${fetchUrl.mock.calls.length}`,
      expires_at: new Date(now + 3_600_000).toISOString(),
    }));
    const urls = new MediaUrls(fetchUrl, () => now);
    const [a, b] = await Promise.all([urls.get('c', 'k', 'n'), urls.get('c', 'k', 'n')]);
    expect(a).toBe(b);
    expect(fetchUrl).toHaveBeenCalledTimes(1);
    now += 3_000_000;
    expect(await urls.get('c', 'k', 'n')).toBe(a);
    now += 560_000; // less than a minute left
    expect(urls.peek('c', 'k', 'n')).toBeNull();
    expect(await urls.get('c', 'k', 'n')).not.toBe(a);
    expect(fetchUrl).toHaveBeenCalledTimes(2);
  });

  it('uploads with one PUT, the signed headers and progress', async () => {
    const headers: Record<string, string> = {};
    const xhr: XhrLike = {
      open: vi.fn(),
      setRequestHeader: (k, v) => (headers[k] = v),
      send: () => {
        xhr.upload.onprogress?.({ loaded: 50, total: 100, lengthComputable: true });
        xhr.status = 204;
        xhr.onload?.();
      },
      abort: vi.fn(),
      status: 0,
      responseText: '',
      upload: { onprogress: null },
      onload: null,
      onerror: null,
      onabort: null,
    };
    const progress: number[] = [];
    const put = putWithProgress('/u', { 'Content-Type': 'image/png', 'Content-Length': '3' }, new Blob(['abc']), (f) => progress.push(f), xhr);
    await put.done;
    expect(xhr.open).toHaveBeenCalledWith('PUT', '/u');
    expect(headers).toEqual({ 'Content-Type': 'image/png' });
    expect(progress).toEqual([0.5, 1]);
  });

  it('cleans file names the server would refuse', () => {
    expect(cleanFileName('a/b\\c\u0001.txt')).toBe('a_b_c_.txt');
    expect(new TextEncoder().encode(cleanFileName('é'.repeat(300))).length).toBeLessThanOrEqual(255);
  });
});
