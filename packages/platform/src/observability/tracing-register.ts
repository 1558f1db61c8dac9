/**
 * `import '@pipevideo/platform/dist/observability/tracing-register'` as the FIRST import of a main.ts:
 * starts tracing (when configured, see tracing.ts) before anything loads `http` or `pg`. The service
 * name is PIPEVIDEO_SERVICE (set by compose and the Kubernetes manifests), else the app folder the
 * entry file lives in (`apps/<service>/dist/main.js`).
 */
import { basename, dirname } from 'node:path';
import { startTracing } from './tracing';

startTracing(process.env.PIPEVIDEO_SERVICE || basename(dirname(dirname(process.argv[1] ?? 'pipevideo/x'))));
