// Starts the real parley binary on a free port with a throwaway data directory, serving the
// built client, and drives Debian's Chromium through playwright-core (no browser download).

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webRoot = path.resolve(here, '..');
export const repoRoot = path.resolve(webRoot, '..');
export const screenshotDir = path.join(here, 'screenshots');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startServer() {
  const bin = process.env.PARLEY_BIN ? path.resolve(process.env.PARLEY_BIN) : path.join(repoRoot, 'build/web/bin/parley');
  const webDir = process.env.PARLEY_E2E_WEB_DIR ?? path.join(webRoot, 'dist');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // parley refuses PARLEY_* settings it does not know (like PARLEY_BIN): pass none through.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PARLEY_')));
  const env = {
    ...inherited,
    PARLEY_LISTEN: `127.0.0.1:${port}`,
    PARLEY_DATA_DIR: dataDir,
    PARLEY_WEB_DIR: webDir,
    PARLEY_PUBLIC_URL: url,
    PARLEY_SMTP_URL: '',
    PARLEY_ARGON2_OPSLIMIT: '1',
    PARLEY_ARGON2_MEMLIMIT_KIB: '8192',
    PARLEY_OTP_RESEND_COOLDOWN_S: '0',
    PARLEY_RATE_IP_PER_MIN: '100000',
    PARLEY_RATE_ACCOUNT_PER_MIN: '100000',
    PARLEY_NOTIFY_DELAY_S: '1',
    PARLEY_LOG_LEVEL: process.env.PARLEY_E2E_LOG_LEVEL ?? 'warn',
    PARLEY_IO_THREADS: '2',
    PARLEY_HANDLER_THREADS: '4',
  };
  const proc = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  let exited = null;
  proc.on('exit', (code, signal) => (exited = { code, signal }));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`parley exited early (${JSON.stringify(exited)}):\n${log}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`parley did not become ready:\n${log}`);
    }
    await sleep(100);
  }
  return {
    url,
    dataDir,
    log: () => log,
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        for (let i = 0; i < 100 && !exited; i++) await sleep(100);
        if (!exited) proc.kill('SIGKILL');
      }
      if (exited && exited.code && exited.code !== 0 && !process.env.PARLEY_E2E_KEEP) {
        // A non-zero exit under sanitizers is a finding: keep the log visible.
        console.error(`parley exited with ${JSON.stringify(exited)}\n${log.slice(-4000)}`);
      }
      if (!process.env.PARLEY_E2E_KEEP) await rm(dataDir, { recursive: true, force: true });
      return exited;
    },
  };
}

/** The newest code mailed to `email` (development mail files under <data>/mail). */
export async function mailedCode(dataDir, email, { after = 0, timeoutMs = 10_000 } = {}) {
  const dir = path.join(dataDir, 'mail');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let files = [];
    try {
      files = (await readdir(dir)).filter((f) => f.endsWith('.eml')).sort();
    } catch {
      /* no mail yet */
    }
    for (const f of files.reverse()) {
      const stamp = Number(f.split('-')[0]);
      if (stamp < after) continue;
      const text = await readFile(path.join(dir, f), 'utf8');
      if (!text.toLowerCase().includes(`to: ${email.toLowerCase()}`) && !text.toLowerCase().includes(`<${email.toLowerCase()}>`)) continue;
      const m = /code is (\d{6})/.exec(text);
      if (m) return m[1];
    }
    if (Date.now() > deadline) throw new Error(`no mail with a code for ${email} in ${dir}`);
    await sleep(100);
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

export async function screenshot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), animations: 'disabled', caret: 'hide' });
}
