import pino from 'pino';
import { currentCorrelationId } from './correlation';

/**
 * Structured JSON logs. Every line carries the correlation id of the request it serves; secrets
 * (API keys, signing secrets, authorization headers) are redacted wherever they appear.
 */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { app: 'pipevideo' },
  redact: {
    paths: [
      'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', '*.headers.authorization',
      'apiKey', '*.apiKey', 'secret', '*.secret', 'key', '*.key', 'password', '*.password', 'signingSecret', '*.signingSecret',
    ],
    censor: '[redacted]',
  },
  mixin() {
    const correlationId = currentCorrelationId();
    return correlationId ? { correlationId } : {};
  },
});

export function serviceLogger(service: string) {
  return logger.child({ service });
}
