// The unmodified `phoenix` npm client against the real server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Socket } from "phoenix";
import WebSocket from "ws";
import { api, befriend, deviceLogin, sleep, startServer, waitFor } from "./server.js";

function connect(server, token, opts = {}) {
  const socket = new Socket(server.wsUrl, { transport: WebSocket, params: { token }, ...opts });
  const state = { opens: 0, errors: 0, closes: 0 };
  socket.onOpen(() => state.opens++);
  socket.onError(() => state.errors++);
  socket.onClose(() => state.closes++);
  socket.connect();
  return { socket, state };
}

// joinAndCollect joins a topic and records every event it receives.
function joinAndCollect(socket, topic) {
  const channel = socket.channel(topic, {});
  const events = [];
  for (const name of ["updated", "friend_updated", "notification_created"]) {
    channel.on(name, (payload) => events.push({ name, payload }));
  }
  const joined = new Promise((resolve) => {
    channel
      .join()
      .receive("ok", (resp) => resolve({ ok: true, resp }))
      .receive("error", (resp) => resolve({ ok: false, resp }));
  });
  return { channel, events, joined };
}

describe("phoenix client", () => {
  let server, admin, player;
  before(async () => {
    server = await startServer();
    admin = await deviceLogin(server, "e2e-admin"); // first account: admin
    player = await deviceLogin(server, "e2e-player");
  });
  after(async () => server && (await server.close()));

  test("device login, connect, join user:{id}, receive updated", async () => {
    const { socket } = connect(server, player.access_token);
    const { events, joined } = joinAndCollect(socket, "user:" + player.user_id);
    const res = await joined;
    assert.equal(res.ok, true, JSON.stringify(res.resp));
    const updated = await waitFor(() => events.find((e) => e.name === "updated"), "updated");
    assert.equal(updated.payload.id, player.user_id);
    assert.equal(updated.payload.is_online, true);
    assert.ok("linked_providers" in updated.payload && "has_password" in updated.payload);
    await waitFor(() => events.find((e) => e.name === "friend_updated"), "friend_updated");
    socket.disconnect();
  });

  test("a notification created over REST arrives live", async () => {
    const { socket } = connect(server, player.access_token);
    const { events, joined } = joinAndCollect(socket, "user:" + player.user_id);
    assert.equal((await joined).ok, true);
    const r = await api(server, "POST", "/api/v1/admin/notifications", {
      token: admin.access_token,
      body: { sender_id: admin.user_id, recipient_id: player.user_id, title: "live " + Date.now(), content: "hello" },
    });
    assert.equal(r.status, 201, r.text);
    const got = await waitFor(() => events.find((e) => e.name === "notification_created" && e.payload.id === r.body.id), "notification_created");
    assert.equal(got.payload.content, "hello");
    assert.equal(got.payload.sender_id, admin.user_id);
    socket.disconnect();
  });

  test("a notification a friend sends on the player route arrives live, and its upsert too", async () => {
    const friend = await deviceLogin(server, "e2e-friend");
    befriend(server, friend.user_id, player.user_id);
    const { socket } = connect(server, player.access_token);
    const { events, joined } = joinAndCollect(socket, "user:" + player.user_id);
    assert.equal((await joined).ok, true);
    const title = "gg " + Date.now();
    const send = (content) =>
      api(server, "POST", "/api/v1/notifications", { token: friend.access_token, body: { user_id: player.user_id, title, content } });
    const r = await send("well played");
    assert.equal(r.status, 201, r.text);
    const got = await waitFor(
      () => events.find((e) => e.name === "notification_created" && e.payload.id === r.body.id),
      "notification_created from a friend",
    );
    assert.equal(got.payload.sender_id, friend.user_id);
    assert.equal(got.payload.recipient_id, player.user_id);
    assert.equal(got.payload.title, title);
    assert.equal(got.payload.content, "well played");
    // Resending the same title upserts: same id, new content, pushed again.
    const again = await send("rematch?");
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body.id, r.body.id);
    await waitFor(
      () => events.find((e) => e.name === "notification_created" && e.payload.id === r.body.id && e.payload.content === "rematch?"),
      "the upserted notification",
    );
    // A player who is not a friend is refused.
    const stranger = await deviceLogin(server, "e2e-stranger");
    const refused = await api(server, "POST", "/api/v1/notifications", {
      token: stranger.access_token,
      body: { user_id: player.user_id, title: "spam" },
    });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.error, "not_friends");
    socket.disconnect();
  });

  test("joining another user's topic is refused", async () => {
    const { socket } = connect(server, player.access_token);
    const { joined } = joinAndCollect(socket, "user:" + admin.user_id);
    const res = await joined;
    assert.equal(res.ok, false);
    assert.equal(res.resp.reason, "unauthorized");
    socket.disconnect();
  });

  test("a bad token is refused at connect", async () => {
    const { socket, state } = connect(server, "not-a-token", { reconnectAfterMs: () => 60000 });
    await waitFor(() => state.errors > 0, "socket error");
    assert.equal(state.opens, 0);
    assert.equal(socket.isConnected(), false);
    socket.disconnect();
  });
});

describe("heartbeats", () => {
  let server, player;
  before(async () => {
    server = await startServer();
    player = await deviceLogin(server, "e2e-idle");
  });
  after(async () => server && (await server.close()));

  test("keep an idle socket alive past the 60 s idle timeout", { timeout: 120000 }, async () => {
    const { socket, state } = connect(server, player.access_token); // phoenix.js heartbeats every 30 s
    const { joined } = joinAndCollect(socket, "user:" + player.user_id);
    assert.equal((await joined).ok, true);
    await sleep(65000);
    assert.equal(socket.isConnected(), true);
    assert.equal(state.opens, 1, "the socket was reconnected");
    assert.equal(state.closes, 0);
    socket.disconnect();
  });
});

describe("reconnect", () => {
  let server, player;
  before(async () => {
    server = await startServer();
    player = await deviceLogin(server, "e2e-reconnect");
  });
  after(async () => server && (await server.close()));

  test("after the server drops the socket the client reconnects and rejoins by itself", async () => {
    const { socket, state } = connect(server, player.access_token);
    const { channel, events, joined } = joinAndCollect(socket, "user:" + player.user_id);
    assert.equal((await joined).ok, true);
    await waitFor(() => events.some((e) => e.name === "updated"), "first updated");
    // Restart the server: every socket is dropped.
    await server.stop();
    await waitFor(() => state.closes > 0, "socket closed by the server");
    await server.start();
    await waitFor(() => state.opens >= 2, "reconnect", 20000);
    await waitFor(() => events.filter((e) => e.name === "updated").length >= 2, "rejoin pushes updated again", 20000);
    assert.equal(channel.state, "joined");
    socket.disconnect();
  });
});
