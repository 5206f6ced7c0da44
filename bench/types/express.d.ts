// The part of express 4's API the SCIMMY comparison peer uses (express ships no types, and
// @types/express is not installed). scimmy-routers' own declarations import this module too.
declare module 'express' {
  import type { IncomingMessage, Server, ServerResponse } from 'node:http';

  namespace express {
    interface Request extends IncomingMessage {
      header(name: string): string | undefined;
      readonly params: Record<string, string>;
      readonly query: Record<string, unknown>;
      body: unknown;
    }
    interface Response extends ServerResponse {
      status(code: number): Response;
      send(body?: unknown): Response;
    }
    type NextFunction = (err?: unknown) => void;
    type Handler = (req: Request, res: Response, next: NextFunction) => void;
    type ErrorHandler = (err: unknown, req: Request, res: Response, next: NextFunction) => void;

    interface Application {
      (req: IncomingMessage, res: ServerResponse): void;
      use(...handlers: unknown[]): Application;
      disable(setting: string): Application;
      set(setting: string, value: unknown): Application;
      listen(port: number, host: string, callback?: () => void): Server;
    }

    class Router {
      constructor(options?: { mergeParams?: boolean });
      use(...handlers: unknown[]): this;
    }
  }

  function express(): express.Application;
  export = express;
}
