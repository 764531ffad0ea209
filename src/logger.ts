// The process logger: JSON lines via pino, with credentials redacted wherever they appear.
import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * @param destination where the JSON lines go; default standard output.
 * @example createLogger('info'); // or createLogger('debug', captureStream) in tests
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-hub-signature-256"]',
        'req.headers["x-hub-signature"]',
        'req.headers["x-gitlab-token"]',
        'req.headers["webhook-signature"]',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
