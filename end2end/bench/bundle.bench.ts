import { test, Browser, CDPSession } from "@playwright/test";
import * as fs from "node:fs";

// The phone profile of the frontend-delivery issue: 1.6 Mbps down, 750 kbps up, 150 ms
// round trip, CPU 4× slower than this machine.
const PHONE = { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8), uploadThroughput: (750e3 / 8) };

type Visit = { hydratedMs: number; firstPaintMs: number; bundleBytes: number; pageBytes: number };

async function throttledPhone(browser: Browser, extraHeaders: Record<string, string> = {}) {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  // Time from navigation start until the app marks <body data-hydrated>.
  await context.addInitScript(() => {
    const watch = () =>
      new MutationObserver((_, observer) => {
        if (document.body?.dataset.hydrated === "true") {
          (window as any).__hydratedAt = performance.now();
          observer.disconnect();
        }
      }).observe(document.documentElement, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
    // Init scripts may run before the document has its root element.
    if (document.documentElement) watch();
    else document.addEventListener("readystatechange", watch, { once: true });
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", PHONE);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  if (Object.keys(extraHeaders).length) await cdp.send("Network.setExtraHTTPHeaders", { headers: extraHeaders });
  return { context, page, cdp };
}

/** Bytes on the wire per URL while `action` runs. */
async function transferred(cdp: CDPSession, action: () => Promise<void>) {
  const urls = new Map<string, string>();
  const bytes = new Map<string, number>();
  const onResponse = (e: any) => urls.set(e.requestId, e.response.url);
  const onFinished = (e: any) => {
    const url = urls.get(e.requestId);
    if (url) bytes.set(url, (bytes.get(url) ?? 0) + e.encodedDataLength);
  };
  cdp.on("Network.responseReceived", onResponse);
  cdp.on("Network.loadingFinished", onFinished);
  await action();
  cdp.off("Network.responseReceived", onResponse);
  cdp.off("Network.loadingFinished", onFinished);
  return bytes;
}

async function visit(page: any, cdp: CDPSession): Promise<Visit> {
  const bytes = await transferred(cdp, async () => {
    await page.goto("/book", { waitUntil: "commit" });
    await page.waitForFunction(() => (window as any).__hydratedAt !== undefined, null, { timeout: 240_000, polling: 100 });
  });
  const [hydratedMs, firstPaintMs] = await page.evaluate(() => [
    (window as any).__hydratedAt as number,
    performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1,
  ]);
  let bundleBytes = 0;
  let pageBytes = 0;
  for (const [url, n] of bytes) {
    if (/\/pkg\/.*\.(wasm|js)$/.test(new URL(url).pathname)) bundleBytes += n;
    pageBytes += n;
  }
  return { hydratedMs, firstPaintMs, bundleBytes, pageBytes };
}

test("bundle delivery on a throttled phone", async ({ browser }) => {
  const phone = await throttledPhone(browser);
  const cold = await visit(phone.page, phone.cdp);
  const repeat = await visit(phone.page, phone.cdp);
  await phone.context.close();

  // Baseline in the same run: the same bundle without compression, as it was served before.
  const plain = await throttledPhone(browser, { "Accept-Encoding": "identity" });
  const uncompressed = await visit(plain.page, plain.cdp);
  await plain.context.close();

  const figures = { cold, repeat, uncompressed };
  console.log(JSON.stringify(figures, null, 2));
  fs.writeFileSync(process.env.BENCH_OUTPUT ?? "bench-bundle.json", JSON.stringify(figures));
});
