// A minimal HTTP/1.1 client on node:http with keep-alive connections (one per concurrent slot).
import http from 'node:http';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets = 16) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request(method: string, path: string, headers: Record<string, string> = {}, body?: string, retried = false): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed while idle (its keep-alive timeout ran out as this
        // request left): the server never read the request, so it is sent again, once, on a new socket.
        if (req.reusedSocket && e.code === 'ECONNRESET' && !retried) resolve(this.request(method, path, headers, body, true));
        else reject(e);
      });
      if (body !== undefined) req.setHeader('Content-Length', Buffer.byteLength(body));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
