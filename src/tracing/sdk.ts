/**
 * Starts the OpenTelemetry tracing SDK, when the configuration asks for an exporter: the only
 * import of the SDK packages (server.ts loads this module only then, so with tracing off none of
 * them is even loaded and every span call lands in the API's no-op tracer; tracing/spans.ts).
 *
 * What runs:
 * - `@opentelemetry/sdk-trace`'s TracerProvider with the sampler of OTEL_TRACES_SAMPLER(_ARG) and
 *   the resource `service.name` (OTEL_SERVICE_NAME, default `inkan`) plus OTEL_RESOURCE_ATTRIBUTES;
 *   this package reads no environment variable itself, so what config.ts parsed is what runs.
 * - Per exporter: OTLP/HTTP (protobuf or JSON, by OTEL_EXPORTER_OTLP_PROTOCOL) behind a batch
 *   processor (spans leave in batches, off the request path; OTEL_BSP_*, by default every 5 s or
 *   512 spans, a queue of 2048 that drops beyond), or the console exporter behind a simple processor.
 *   The OTLP exporters also read OTEL_EXPORTER_OTLP_* themselves, as a fallback under what they are
 *   given: every value they would find there is passed explicitly (parsed by config.ts), so the
 *   fallback never decides anything.
 * - AsyncLocalStorage as the context manager (a request's child spans find their parent across
 *   awaits) and the W3C Trace Context propagator (`traceparent`, `tracestate`).
 * - The SDK's own complaints (an export that failed) go to `report`, at warn level and above.
 *
 * `shutdown` flushes what is queued (server.ts calls it last in the graceful stop) and unregisters
 * the globals, so a later start in the same process (tests) registers afresh.
 */
import { context, diag, DiagLogLevel, propagation, trace, type DiagLogger } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { BatchSettings, OtlpExport, SpanExport, TracingConfig } from './settings.js';

export interface Tracing {
  /** Exports what is still queued, then stops the SDK and unregisters it. */
  shutdown(): Promise<void>;
}

export class TracingStartError extends Error {
  override readonly name = 'TracingStartError';
}

function samplerOf(config: TracingConfig): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
  }
}

function otlpExporter(settings: OtlpExport): OtlpJsonExporter | OtlpProtobufExporter {
  const options = {
    url: settings.url,
    headers: { ...settings.headers },
    timeoutMillis: settings.timeoutMs,
    compression: settings.compression as never,
  };
  return settings.protocol === 'http/json' ? new OtlpJsonExporter(options) : new OtlpProtobufExporter(options);
}

function processorOf(exporter: SpanExport, batch: BatchSettings): SpanProcessor {
  if (exporter.kind === 'console') return new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() });
  return new BatchSpanProcessor({ exporter: otlpExporter(exporter), ...batch });
}

export function startTracing(config: TracingConfig, report: (message: string) => void): Tracing {
  const provider = new TracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ ...config.resourceAttributes, 'service.name': config.serviceName })),
    sampler: samplerOf(config),
    spanProcessors: config.exporters.map((exporter) => processorOf(exporter, config.batch)),
  });
  const forward = (message: string, ...args: unknown[]) => report([message, ...args.map((arg) => (arg instanceof Error ? arg.message : String(arg)))].join(' '));
  const logger: DiagLogger = { error: forward, warn: forward, info: () => undefined, debug: () => undefined, verbose: () => undefined };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const registered = context.setGlobalContextManager(contextManager) && propagation.setGlobalPropagator(new W3CTraceContextPropagator()) && trace.setGlobalTracerProvider(provider);
  if (!registered) {
    contextManager.disable();
    throw new TracingStartError('another OpenTelemetry SDK is already registered in this process');
  }
  return {
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
      }
    },
  };
}
