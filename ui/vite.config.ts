import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// The app runs inside Tauri under a strict CSP (see README.md): relative asset paths, CSS emitted
// as files, no inline scripts (the module-preload polyfill would be one).
export default defineConfig({
  base: './',
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    // The error, problem and field texts are the core's message catalog (src/lib/i18n.ts).
    fs: { allow: ['.', '../crates/core/messages'] },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'node',
    include: ['tests/**/*.test.ts'],
  },
});
