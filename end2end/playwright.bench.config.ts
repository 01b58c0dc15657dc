import { defineConfig } from "@playwright/test";

// `cargo xtask bench` starts a server and passes its address; figures go to BENCH_OUTPUT.
export default defineConfig({
  testDir: "./bench",
  testMatch: /.*\.bench\.ts/,
  outputDir: "./test-results/bench",
  timeout: 300_000,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
      ],
    },
  },
});
