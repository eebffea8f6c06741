// Attachments: upload through a pre-signed URL (XMLHttpRequest, for progress), and
// pre-signed download URLs cached until shortly before they expire.

import { ApiError, NetworkError, type Api } from './api';
import type { Attachment } from './types';

const LOCAL_BLOB = '/api/v1/media/blob/';

/**
 * URLs of the server's own media storage are made relative, so they work whatever host
 * name the page was opened under (and stay inside the page's connect-src 'self').
 */
export function sameOriginUrl(url: string, base = globalThis.location?.href ?? 'http://localhost/'): string {
  try {
    const u = new URL(url, base);
    if (u.pathname.startsWith(LOCAL_BLOB)) return u.pathname + u.search;
    return u.href;
  } catch {
    return url;
  }
}

export interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob | null): void;
  abort(): void;
  status: number;
  responseText: string;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

export function putWithProgress(
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress: (fraction: number) => void,
  xhr: XhrLike = new XMLHttpRequest() as unknown as XhrLike,
): { done: Promise<void>; abort: () => void } {
  const done = new Promise<void>((resolve, reject) => {
    xhr.open('PUT', url);
    for (const [k, v] of Object.entries(headers)) {
      // The browser sets Content-Length itself and refuses to be told.
      if (k.toLowerCase() === 'content-length' || k.toLowerCase() === 'host') continue;
      xhr.setRequestHeader(k, v);
    }
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
        return;
      }
      let code = `http_${xhr.status}`;
      let message = 'upload failed';
      try {
        const body = JSON.parse(xhr.responseText) as { error?: { code: string; message: string } };
        if (body.error) ({ code, message } = body.error);
      } catch {
        /* not JSON */
      }
      reject(new ApiError(xhr.status, code, message));
    };
    xhr.onerror = () => reject(new NetworkError('upload failed'));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}

/** Width and height of an image file, when the browser can decode it. */
export async function imageSize(file: Blob): Promise<{ width: number; height: number } | null> {
  if (!file.type.startsWith('image/')) return null;
  try {
    if (typeof createImageBitmap === 'function') {
      const bmp = await createImageBitmap(file);
      const size = { width: bmp.width, height: bmp.height };
      bmp.close();
      return size.width > 0 && size.height > 0 ? size : null;
    }
  } catch {
    /* not decodable here */
  }
  return null;
}

/** A file's content type as the server expects it (browsers leave some empty). */
export function contentTypeOf(file: File): string {
  if (file.type) return file.type;
  const ext = file.name.split('.').pop()?.toLowerCase() ?? '';
  const known: Record<string, string> = {
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    png: 'image/png',
    gif: 'image/gif',
    webp: 'image/webp',
    heic: 'image/heic',
    pdf: 'application/pdf',
    txt: 'text/plain',
    csv: 'text/csv',
    zip: 'application/zip',
    mp4: 'video/mp4',
    webm: 'video/webm',
    mov: 'video/quicktime',
    mp3: 'audio/mpeg',
    ogg: 'audio/ogg',
    wav: 'audio/wav',
  };
  return known[ext] ?? 'application/octet-stream';
}

/** File names the server accepts: no slashes or control characters, at most 255 bytes. */
export function cleanFileName(name: string): string {
  let s = name.replace(/[\\/\u0000-\u001f\u007f]/g, '_').trim() || 'file';
  while (new TextEncoder().encode(s).length > 255) s = s.slice(0, -1);
  return s;
}

export interface Upload {
  attachment: Promise<Attachment>;
  abort: () => void;
}

/** Asks for an upload URL, PUTs the bytes, and resolves to the attachment to send. */
export function uploadFile(api: Api, file: File, onProgress: (fraction: number) => void): Upload {
  let aborted = false;
  let abortPut: (() => void) | null = null;
  const attachment = (async (): Promise<Attachment> => {
    const name = cleanFileName(file.name);
    const type = contentTypeOf(file);
    const [grant, size] = await Promise.all([api.requestUpload(name, type, file.size), imageSize(file)]);
    if (aborted) throw new DOMException('aborted', 'AbortError');
    const put = putWithProgress(sameOriginUrl(grant.upload_url), grant.headers ?? {}, file, onProgress);
    abortPut = put.abort;
    await put.done;
    const a: Attachment = { key: grant.key, name, content_type: type, size: file.size };
    if (size) {
      a.width = size.width;
      a.height = size.height;
    }
    return a;
  })();
  return {
    attachment,
    abort: () => {
      aborted = true;
      abortPut?.();
    },
  };
}

interface CachedUrl {
  url: string;
  expiresAt: number;
}

/** Download URLs per (chat, key, name), reused until a minute before they expire. */
export class MediaUrls {
  private cache = new Map<string, CachedUrl>();
  private inflight = new Map<string, Promise<string>>();
  private readonly fetchUrl: (chatId: string, key: string, name: string) => Promise<{ url: string; expires_at: string }>;
  private readonly now: () => number;

  constructor(
    fetchUrl: (chatId: string, key: string, name: string) => Promise<{ url: string; expires_at: string }>,
    now: () => number = Date.now,
  ) {
    this.fetchUrl = fetchUrl;
    this.now = now;
  }

  /** The cached URL if it is still good, without asking. */
  peek(chatId: string, key: string, name: string): string | null {
    const c = this.cache.get(`${chatId}/${key}/${name}`);
    return c && c.expiresAt - 60_000 > this.now() ? c.url : null;
  }

  get(chatId: string, key: string, name: string): Promise<string> {
    const id = `${chatId}/${key}/${name}`;
    const hit = this.peek(chatId, key, name);
    if (hit) return Promise.resolve(hit);
    const running = this.inflight.get(id);
    if (running) return running;
    const p = this.fetchUrl(chatId, key, name)
      .then((g) => {
        const url = sameOriginUrl(g.url);
        this.cache.set(id, { url, expiresAt: Date.parse(g.expires_at) || this.now() + 5 * 60_000 });
        return url;
      })
      .finally(() => this.inflight.delete(id));
    this.inflight.set(id, p);
    return p;
  }
}
