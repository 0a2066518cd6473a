// The FHIR AuditEvent sink: every Succeeded/Failed audit record becomes an AuditEvent resource,
// stored through the engine (so it is validated and indexed: searchable by date, agent, altid,
// address, subtype, outcome …). Writes happen in the background, one at a time, in order; a failed
// write is reported to the sink monitor and never reaches the request that was audited.
import type { FhirEngine, Resource, Route } from '@hestia/core';
import type { AuditRecord } from './audit.js';
import { outsideRequests } from './correlation.js';
import type { SinkMonitor } from './sinks.js';

export const AUDIT_EVENT_SINK = 'auditEvents';
/** Most records waiting to be written; more are dropped (and counted as failures). */
const MAX_QUEUE = 10_000;

const ACTIONS: Record<string, string> = {
  create: 'C',
  read: 'R', vread: 'R', 'search-type': 'R', 'search-system': 'R', 'search-compartment': 'R',
  'history-instance': 'R', 'history-type': 'R', 'history-system': 'R', capabilities: 'R',
  update: 'U', patch: 'U', 'conditional-update': 'U', 'conditional-patch': 'U',
  delete: 'D', 'hard-delete': 'D', 'conditional-delete': 'D',
};

const outcomeCode = (status: number) => (status < 400 ? '0' : status < 500 ? '4' : '8');

/** The caller as an agent: who (identifier issuer|object id), altId, name, network address. */
function agentParts(r: AuditRecord) {
  const claims = r.CallerIdentity;
  const oid = r.CallerIdentityObjectId ?? undefined;
  const identifier = oid === undefined ? undefined : { ...(r.CallerIdentityIssuer ? { system: r.CallerIdentityIssuer } : {}), value: oid };
  const name = [claims.name, claims.preferred_username, claims.sub, oid].find((v) => typeof v === 'string') as string | undefined;
  const network = r.CallerIPAddress ? { address: r.CallerIPAddress, type: '2' } : undefined;
  return { identifier, oid, name: name ?? 'anonymous', network };
}

/** Details: correlation id, request URI and the custom audit headers. */
function details(r: AuditRecord): [string, string][] {
  return [['CorrelationId', r.CorrelationId], ['RequestUri', r.RequestUri], ...Object.entries(r.Properties)];
}

const SOURCE_TYPE = { system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' };
const REST_TYPE = { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' };
const INTERACTION = 'http://hl7.org/fhir/restful-interaction';

/** An AuditEvent (R4 or STU3 shape) for a final audit record; the entity is the resource of the route, when it names one. */
export function toAuditEvent(r: AuditRecord, fhirVersion: 'r4' | 'stu3', route?: Route): Resource {
  const status = r.StatusCode ?? 0;
  const a = agentParts(r);
  const op = r.OperationName;
  const common = {
    resourceType: 'AuditEvent',
    type: REST_TYPE,
    ...(op ? { subtype: [{ system: INTERACTION, code: op }] } : {}),
    action: (op && ACTIONS[op]) ?? 'E',
    recorded: r.TimeGenerated,
    outcome: outcomeCode(status),
    outcomeDesc: `HTTP ${status}`,
  };
  const type = r.FhirResourceType ? { type: { system: 'http://hl7.org/fhir/resource-types', code: r.FhirResourceType } } : {};
  const what = route?.resourceType && route.id ? { reference: `${route.resourceType}/${route.id}` } : undefined;
  if (fhirVersion === 'stu3') {
    return {
      ...common,
      agent: [{ ...(a.identifier ? { userId: a.identifier } : {}), ...(a.oid ? { altId: a.oid } : {}), name: a.name, requestor: true, ...(a.network ? { network: a.network } : {}) }],
      source: { site: r.Location, identifier: { value: 'Hestia' }, type: [SOURCE_TYPE] },
      entity: [{ ...(what ? { reference: what } : {}), ...type, detail: details(r).map(([k, v]) => ({ type: k, value: Buffer.from(v).toString('base64') })) }],
    } as Resource;
  }
  const start = new Date(Date.parse(r.TimeGenerated) - (r.OperationDuration ?? 0)).toISOString();
  return {
    ...common,
    period: { start, end: r.TimeGenerated },
    agent: [{ ...(a.identifier ? { who: { identifier: a.identifier } } : {}), ...(a.oid ? { altId: a.oid } : {}), name: a.name, requestor: true, ...(a.network ? { network: a.network } : {}) }],
    source: { site: r.Location, observer: { display: 'Hestia' }, type: [SOURCE_TYPE] },
    entity: [{ ...(what ? { what } : {}), ...type, detail: details(r).map(([k, v]) => ({ type: k, valueString: v })) }],
  } as Resource;
}

/** Writes AuditEvents in the background through the engine. */
export class AuditEventSink {
  private readonly queue: [AuditRecord, Route | undefined][] = [];
  private running?: Promise<void>;

  constructor(private readonly engine: FhirEngine, private readonly fhirVersion: 'r4' | 'stu3', private readonly monitor: SinkMonitor) {
    monitor.register(AUDIT_EVENT_SINK);
  }

  /** Queues a final record; Started records are not stored. Never throws, never waits. */
  add(record: AuditRecord, route?: Route): void {
    if (record.ResultType === 'Started') return;
    if (this.queue.length >= MAX_QUEUE) {
      this.monitor.failed(AUDIT_EVENT_SINK, new Error(`The AuditEvent queue is full (${MAX_QUEUE}); a record was dropped.`));
      return;
    }
    this.queue.push([record, route]);
    this.running ??= outsideRequests(() => this.drain()).finally(() => { this.running = undefined; });
  }

  /** Resolves when every queued record has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (let item = this.queue.shift(); item; item = this.queue.shift()) {
      try {
        const body = toAuditEvent(item[0], this.fhirVersion, item[1]);
        const res = await this.engine.handle({ method: 'POST', path: 'AuditEvent', query: [], headers: { prefer: 'return=minimal' }, body, baseUrl: '' });
        if (res.status >= 300) throw new Error(`Storing an AuditEvent returned ${res.status}: ${diagnostics(res.body)}`);
        this.monitor.succeeded(AUDIT_EVENT_SINK);
      } catch (e) {
        this.monitor.failed(AUDIT_EVENT_SINK, e);
      }
    }
  }
}

function diagnostics(body: Resource | undefined): string {
  const issue = (body as { issue?: { diagnostics?: string }[] } | undefined)?.issue?.[0];
  return issue?.diagnostics ?? 'no details';
}
