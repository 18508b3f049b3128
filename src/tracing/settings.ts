/**
 * What the tracing SDK is started with (sdk.ts), as config.ts parses it from the OpenTelemetry
 * environment variables (the OpenTelemetry specification's "Environment Variable Specification"
 * and "OTLP Exporter Configuration"). Only the variables Inkan supports are here; config.ts
 * refuses values it cannot honour instead of ignoring them.
 */

/** OTEL_TRACES_SAMPLER: the sampler names of the specification's §General SDK Configuration. */
export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

export const SAMPLER_NAMES: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL; gRPC is not offered (no gRPC exporter is installed). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpExport {
  readonly kind: 'otlp';
  /** The full traces URL: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT + `v1/traces`. */
  readonly url: string;
  readonly protocol: OtlpProtocol;
  /** OTEL_EXPORTER_OTLP_(TRACES_)HEADERS, decoded. Often a collector's API key: never logged. */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly compression: 'gzip' | 'none';
}

/** `console`: every span printed to standard output when it ends (for trying things out). */
export type SpanExport = OtlpExport | { readonly kind: 'console' };

/** The batch span processor in front of each OTLP exporter (OTEL_BSP_*, the specification's defaults). */
export interface BatchSettings {
  /** OTEL_BSP_SCHEDULE_DELAY (default 5000 ms): how long a span may wait for its batch. */
  readonly scheduledDelayMillis: number;
  /** OTEL_BSP_EXPORT_TIMEOUT (default 30000 ms). */
  readonly exportTimeoutMillis: number;
  /** OTEL_BSP_MAX_QUEUE_SIZE (default 2048): spans waiting beyond this are dropped, never the request. */
  readonly maxQueueSize: number;
  /** OTEL_BSP_MAX_EXPORT_BATCH_SIZE (default 512, at most the queue size). */
  readonly maxExportBatchSize: number;
}

export interface TracingConfig {
  /** Where finished spans go; empty means tracing is off and the SDK is never loaded. */
  readonly exporters: readonly SpanExport[];
  /** OTEL_SERVICE_NAME (default `inkan`); it wins over a `service.name` in OTEL_RESOURCE_ATTRIBUTES. */
  readonly serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES, decoded. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: SamplerName;
  /** OTEL_TRACES_SAMPLER_ARG: the ratio of the traceidratio samplers (default 1). */
  readonly samplerRatio: number;
  readonly batch: BatchSettings;
}

export const TRACING_OFF: TracingConfig = Object.freeze({
  exporters: Object.freeze([]),
  serviceName: 'inkan',
  resourceAttributes: Object.freeze({}),
  sampler: 'parentbased_always_on',
  samplerRatio: 1,
  batch: Object.freeze({ scheduledDelayMillis: 5000, exportTimeoutMillis: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 }),
});
