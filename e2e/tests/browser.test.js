// A new player's journey in a real browser (headless Debian Chromium driven
// by playwright-core): register, confirm through the development mailbox,
// log in; then the game-client API with the same account: log in, refresh,
// /me.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { api, startServer } from "./server.js";

const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

describe("browser account pages", { skip: existsSync(executablePath) ? false : "chromium not installed at " + executablePath }, () => {
  let server, browser;
  before(async () => {
    server = await startServer();
    browser = await chromium.launch({
      executablePath,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run",
        "--disable-component-update", "--disable-sync"],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test("register, confirm through the dev mailbox, log in, then use the API", async () => {
    const email = `player${Date.now()}@example.com`;
    const password = "correct horse battery";
    const page = await (await browser.newContext()).newPage();

    await page.goto(server.url + "/users/register");
    await page.fill("#email", email);
    await page.fill("#password", password);
    await Promise.all([page.waitForNavigation(), page.click("form[action='/users/register'] button")]);

    // The confirmation e-mail reaches the development mailbox through the
    // server's mail queue, in the background: reload until it is there.
    let row;
    for (let attempt = 0; ; attempt++) {
      await page.goto(server.url + "/dev/mailbox");
      row = page.locator("tr", { hasText: email }).first();
      if ((await row.count()) > 0) break;
      assert.ok(attempt < 50, "no confirmation e-mail in the development mailbox");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await Promise.all([page.waitForNavigation(), row.locator("a").click()]);
    const confirmLink = await page.locator("a[href*='/users/confirm/']").first().getAttribute("href");
    assert.ok(confirmLink, "confirmation link in the e-mail");
    await page.goto(new URL(confirmLink, server.url).toString());
    await Promise.all([page.waitForNavigation(), page.click("main form button")]);
    assert.match(await page.content(), /confirmed/i);

    // Log out and back in with the password.
    await page.goto(server.url + "/users/log-out");
    await Promise.all([page.waitForNavigation(), page.click("main form[action='/users/log-out'] button")]);
    await page.goto(server.url + "/users/log-in");
    await page.fill("#email", email);
    await page.fill("#password", password);
    await Promise.all([page.waitForNavigation(), page.click("form[action='/users/log-in'] button")]);
    await page.goto(server.url + "/users/settings");
    assert.match(await page.content(), new RegExp(email.replace(/[.]/g, "\\.")));

    // The same account from a game client.
    const login = await api(server, "POST", "/api/v1/login", { body: { email, password } });
    assert.equal(login.status, 200, login.text);
    const refreshed = await api(server, "POST", "/api/v1/refresh", { body: { refresh_token: login.body.data.refresh_token } });
    assert.equal(refreshed.status, 200, refreshed.text);
    const me = await api(server, "GET", "/api/v1/me", { token: refreshed.body.data.access_token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.email, email);
    assert.equal(me.body.has_password, true);
  });
});
