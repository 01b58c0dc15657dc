import { defineConfig, devices } from "@playwright/test";

// `cargo xtask test` starts the server on a free port and passes its address here.
const baseURL = process.env.BASE_URL ?? "http://127.0.0.1:3000";

// Debian's Chromium: Playwright's own browser downloads are not reachable here.
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results/artifacts",
  timeout: 30_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  // In CI one retry absorbs a cold first wasm compile on a busy 2-core machine; a retried
  // pass is still reported as "flaky" in the summary, never silently.
  retries: process.env.CI ? 1 : 0,
  // One browser at a time: on a 2-core machine the server, the browser and the debug
  // wasm compile compete, and parallel pages only make hydration slower.
  workers: 1,
  reporter: [["list"], ["json"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: { executablePath: "/usr/bin/chromium", args: chromiumArgs },
  },
  projects: [
    { name: "desktop", use: { ...devices["Desktop Chrome"], channel: undefined } },
    // The patient, doctor and two-step journeys once more at phone size.
    {
      name: "phone",
      testMatch: /(patient|doctor|two_step)\.spec\.ts/,
      use: { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
    },
  ],
});
