import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const server = process.env.MC_DEV_TARGET ?? 'http://127.0.0.1:7400';

export default defineConfig({
  root: here('.'),
  plugins: [react()],
  resolve: { alias: { '@core': here('../src/core') } },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    sourcemap: true,
    // The e2e tests read it to check which chunks carry which modules (the inspector's code split).
    manifest: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    port: 5173,
    proxy: {
      '/rpc': server,
      '/auth': server,
      '/api': server,
      '/ws': { target: server.replace(/^http/, 'ws'), ws: true },
    },
  },
});
