// The sessfix oracle's stand-in chat channel (see oracle/delivery.py).
// No SDK import: a raw plugin entry and channel plugin object.
//
// Environment:
//   STANDIN_SENDS        file; every send is appended as one JSON line
//                        {t, pid, kind, to, text, accountId, threadId, replyToId, ready}
//   STANDIN_READY_FILE   the channel is ready only while this file exists
//   STANDIN_NOT_READY_MS not ready for this long after the module loaded
// While not ready, the outbound adapter has no sendText (STANDIN_FAIL=missing,
// the default: the gateway's own "Outbound not configured for channel"), or
// sendText throws a transport error (STANDIN_FAIL=throw).
import fs from "node:fs";

const LOADED = Date.now();
const CHANNEL = "standin";

function ready() {
  const f = process.env.STANDIN_READY_FILE;
  if (f && !fs.existsSync(f)) return false;
  const ms = Number(process.env.STANDIN_NOT_READY_MS || 0);
  return Date.now() - LOADED >= ms;
}

function record(kind, ctx, extra) {
  const out = process.env.STANDIN_SENDS;
  if (!out) return;
  const line = {
    t: Date.now(), pid: process.pid, kind, to: ctx.to, text: ctx.text,
    accountId: ctx.accountId ?? null, threadId: ctx.threadId ?? null,
    replyToId: ctx.replyToId ?? null, mediaUrl: ctx.mediaUrl ?? null, ...extra,
  };
  fs.appendFileSync(out, JSON.stringify(line) + "\n");
}

let seq = 0;
async function sendText(ctx) {
  if (!ready()) {
    record("refused", ctx, { ready: false });
    const e = new Error("connect ECONNREFUSED 127.0.0.1:9 (stand-in channel not ready)");
    e.code = "ECONNREFUSED";
    throw e;
  }
  record("text", ctx, { ready: true });
  return { channel: CHANNEL, messageId: `standin-${process.pid}-${++seq}` };
}

async function sendMedia(ctx) {
  if (!ready()) throw new Error("stand-in channel not ready");
  record("media", ctx, { ready: true });
  return { channel: CHANNEL, messageId: `standin-${process.pid}-${++seq}` };
}

const outbound = {
  deliveryMode: "direct",
  textChunkLimit: 4000,
  get sendText() {
    return ready() || process.env.STANDIN_FAIL === "throw" ? sendText : undefined;
  },
  get sendMedia() {
    return ready() || process.env.STANDIN_FAIL === "throw" ? sendMedia : undefined;
  },
};

const account = (accountId) => ({ accountId: accountId || "default", enabled: true, configured: true, name: "Stand-in" });

export const standinPlugin = {
  id: CHANNEL,
  meta: {
    id: CHANNEL, label: "Stand-in", selectionLabel: "Stand-in", docsPath: "/channels/standin",
    blurb: "the sessfix oracle's stand-in chat channel",
  },
  capabilities: { chatTypes: ["direct"] },
  reload: { configPrefixes: ["channels.standin"] },
  config: {
    listAccountIds: () => ["default"],
    resolveAccount: (_cfg, accountId) => account(accountId),
    defaultAccountId: () => "default",
    isConfigured: () => true,
    isEnabled: () => true,
  },
  messaging: {
    normalizeTarget: (raw) => String(raw ?? "").trim() || undefined,
    targetResolver: { looksLikeId: () => true, hint: "<user id>" },
  },
  gateway: {
    startAccount: async (ctx) => {
      ctx.setStatus?.({ accountId: ctx.accountId, running: true, connected: ready() });
      await new Promise((resolve) => {
        if (ctx.abortSignal?.aborted) return resolve();
        ctx.abortSignal?.addEventListener("abort", resolve, { once: true });
      });
      ctx.setStatus?.({ accountId: ctx.accountId, running: false });
    },
  },
  outbound,
};

export default {
  id: CHANNEL,
  name: "Stand-in",
  description: "the sessfix oracle's stand-in chat channel",
  register(api) {
    api.registerChannel({ plugin: standinPlugin });
  },
};
