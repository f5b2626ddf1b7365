// Play the SDK scenario with @rudderstack/rudder-sdk-node, unmodified; print a JSON report.
//
// Usage: node rudder-node.mjs < plan.json. The SDK is only observed: each call's callback
// hands back the batch it went out in (gzipped by default), Node's diagnostics channel for
// `http` gives every request's headers and status, and console warnings/errors are kept.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import dc from 'node:diagnostics_channel'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const plan = JSON.parse(readFileSync(0, 'utf8'))
const Analytics = require('@rudderstack/rudder-sdk-node')
const pkgPath = join(here, 'node_modules', '@rudderstack', 'rudder-sdk-node', 'package.json')
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'))

const exchanges = []
const errors = []
const logs = []
for (const level of ['warn', 'error']) {
  const original = console[level]
  console[level] = (...args) => {
    logs.push(`${level} ${args.map(String).join(' ')}`)
    original(...args)
  }
}
dc.subscribe('http.client.response.finish', ({ request, response }) => {
  exchanges.push({
    url: `${request.protocol}//${request.host}${request.path}`,
    status: response.statusCode,
    headers: request.getHeaders(),
  })
})

const client = new Analytics(plan.writeKey, { dataPlaneUrl: plan.host, ...plan.options })
const batches = new Set()
let pending = 0
const done = (err, data) => {
  pending -= 1
  if (err) errors.push(`callback: ${err}`)
  if (data) batches.add(data)
}
const call = (method, params, name) => {
  pending += 1
  const messageId = plan.messageIdPrefix ? `${plan.messageIdPrefix}-${name}` : undefined
  client[method]({ ...params, ...(messageId ? { messageId } : {}) }, done)
}

const user = plan.userId
call('identify', { userId: user, traits: plan.identify.traits }, 'identify')
call(
  'track',
  {
    userId: user,
    event: plan.order.event,
    properties: plan.order.properties,
    timestamp: new Date(plan.order.timestamp),
  },
  'order',
)
call('page', { userId: user, ...plan.page }, 'page')
call('screen', { userId: user, ...plan.screen }, 'screen')
call('group', { userId: user, groupId: plan.groupId, traits: plan.group.traits }, 'group')
call('alias', { userId: plan.newUserId, previousId: user }, 'alias')
for (let seq = 0; seq < plan.burst.count; seq++) {
  call(
    'track',
    { anonymousId: plan.anonymousId, event: plan.burst.event, properties: { seq } },
    `burst-${seq}`,
  )
}
for (let seq = 0; seq < plan.large.count; seq++) {
  const properties = { seq, padding: 'x'.repeat(plan.large.bytes) }
  call('track', { anonymousId: plan.anonymousId, event: plan.large.event, properties }, `large-${seq}`)
}

// flush() sends one batch of up to flushAt events; keep flushing until every callback ran.
const deadline = Date.now() + 30000
while (pending > 0 && Date.now() < deadline) {
  await client.flush()
  await new Promise((resolve) => setImmediate(resolve))
}

// Batches and HTTP exchanges are matched by their order: the SDK sends one at a time.
const sent = [...batches].map((data) => {
  const text = Buffer.isBuffer(data) ? gunzipSync(data).toString('utf8') : JSON.stringify(data)
  return JSON.parse(text)
})
const requests = exchanges.map((exchange, i) => ({
  ...exchange,
  bytes: sent[i] ? Buffer.byteLength(JSON.stringify(sent[i])) : 0,
  messageIds: sent[i] ? sent[i].batch.map((event) => event.messageId) : [],
  bodyWriteKey: sent[i]?.writeKey ?? null,
}))
process.stdout.write(
  JSON.stringify({
    library: { name: 'analytics-node', version: pkg.version },
    requests,
    errors,
    logs,
    closed: pending === 0 && sent.length === exchanges.length,
  }),
)
