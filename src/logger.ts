// The process logger: JSON lines via pino, with credentials redacted wherever they appear.
import { type Logger, pino } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-hub-signature-256"]',
        'req.headers["x-gitlab-token"]',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  });
}
