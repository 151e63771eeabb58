// Starts the gamend binary (GAMEND_BIN) on a free port with a fresh SQLite
// database, and can stop and restart it on the same port and database.
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export async function startServer(extraEnv = {}) {
  const bin = process.env.GAMEND_BIN;
  if (!bin) throw new Error("GAMEND_BIN is not set (run e2e/run.sh)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "gamend-e2e-"));
  const port = await freePort();
  const env = {
    ...process.env,
    ENV_FILE: "none",
    GAMEND_ENV: "test",
    LOG_LEVEL: "warn",
    ACCESS_LOG_LEVEL: "off",
    PORT: String(port),
    PHX_HOST: "127.0.0.1",
    GAMEND_DATA_DIR: dir,
    SQLITE_DATABASE_PATH: path.join(dir, "gamend.db"),
    RATE_LIMIT_HTTP_AUTH_LIMIT: "100000",
    RATE_LIMIT_HTTP_GENERAL_LIMIT: "100000",
    ...extraEnv,
  };
  const server = {
    dbPath: env.SQLITE_DATABASE_PATH,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/socket`,
    proc: null,
    logs: "",
    async start() {
      this.proc = spawn(bin, [], { env, stdio: ["ignore", "pipe", "pipe"] });
      this.proc.stdout.on("data", (d) => (this.logs += d));
      this.proc.stderr.on("data", (d) => (this.logs += d));
      const deadline = Date.now() + 30000;
      for (;;) {
        try {
          const res = await fetch(this.url + "/api/v1/health");
          if (res.ok) return;
        } catch {}
        if (Date.now() > deadline) throw new Error("server did not start:\n" + this.logs);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (!this.proc || this.proc.exitCode !== null) return;
      const exited = new Promise((r) => this.proc.once("exit", r));
      this.proc.kill("SIGTERM");
      await exited;
    },
    async close() {
      await this.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

// api calls a REST route and returns {status, body}.
export async function api(server, method, route, { token, body } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = "Bearer " + token;
  const res = await fetch(server.url + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, body: json, text };
}

export async function deviceLogin(server, deviceId) {
  const r = await api(server, "POST", "/api/v1/login/device", { body: { device_id: deviceId } });
  if (r.status !== 200) throw new Error(`device login: ${r.status} ${r.text}`);
  return r.body.data;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// waitFor polls cond until it is truthy or the timeout passes.
export async function waitFor(cond, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await sleep(25);
  }
}

// befriend stores an accepted friendship between users a and b straight in
// the server's SQLite file (the friends API is a later feature; the
// notification route already requires friendship). The timestamps are
// copied from a's row, so they are stored as the server stores them.
export function befriend(server, a, b) {
  const uuid = /^[0-9a-f-]{36}$/;
  if (![a, b].every((id) => uuid.test(id))) throw new Error("befriend: not user ids");
  const sql = `INSERT INTO friendships (id, requester_id, target_id, status, inserted_at, updated_at)
    SELECT '${randomUUID()}', id, '${b}', 'accepted', inserted_at, inserted_at FROM users WHERE id = '${a}';
    SELECT changes();`;
  const out = execFileSync("sqlite3", ["-cmd", ".timeout 5000", server.dbPath, sql], { encoding: "utf8" }).trim();
  if (out !== "1") throw new Error("befriend: inserted " + out + " rows");
}
