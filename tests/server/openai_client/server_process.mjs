// Starts `assistant-cli serve --port 0 ...` and resolves with its URL once it
// prints "listening on URL" and /health answers 200; checks() runs named checks.
// Shared by the openai and ollama client tests.
import { spawn } from 'node:child_process';

export async function startServer(cli, args, { timeoutMs = 30000 } = {}) {
  const child = spawn(cli, ['serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}): ${stderr}`)); });
  });
  for (const deadline = Date.now() + timeoutMs; ;) {
    const r = await fetch(`${url}/health`).catch(() => null);
    if (r && r.status === 200) break;
    if (Date.now() > deadline) throw new Error(`server not healthy: ${stderr}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
  return { url, child, stop, stderr: () => stderr };
}

// check(name, fn) runs fn and prints "ok   name" or "FAIL name: why", going on after a
// failure; failed() says whether any check failed (the exit code).
export function checks() {
  let anyFailed = false;
  const check = async (name, fn) => {
    try {
      await fn();
      console.log(`ok   ${name}`);
    } catch (e) {
      anyFailed = true;
      console.log(`FAIL ${name}: ${e.stack || e}`);
    }
  };
  return { check, failed: () => anyFailed };
}
