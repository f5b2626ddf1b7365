// Play the SDK scenario with @segment/analytics-node, unmodified; print a JSON report.
//
// Usage: node segment-node.mjs < plan.json. The plan's `module` names the installed package:
// `@segment/analytics-node` (3.1.x) or its npm alias `segment-analytics-node-3.0`.
// The SDK is only observed: its own `http_request` and `error` events, and the status of
// each fetch it makes from Node's diagnostics channel for undici.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import dc from 'node:diagnostics_channel'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const plan = JSON.parse(readFileSync(0, 'utf8'))
const { Analytics } = require(plan.module)
const pkg = JSON.parse(readFileSync(join(here, 'node_modules', plan.module, 'package.json'), 'utf8'))

const requests = []
const statuses = []
const errors = []
const logs = []
for (const level of ['warn', 'error']) {
  const original = console[level]
  console[level] = (...args) => {
    logs.push(`${level} ${args.map(String).join(' ')}`)
    original(...args)
  }
}
dc.subscribe('undici:request:headers', ({ response }) => statuses.push(response.statusCode))

const analytics = new Analytics({ writeKey: plan.writeKey, host: plan.host, ...plan.options })
analytics.on('http_request', (request) => {
  const body = JSON.parse(request.body)
  requests.push({
    url: request.url,
    headers: request.headers,
    bytes: Buffer.byteLength(request.body),
    messageIds: body.batch.map((event) => event.messageId),
    bodyWriteKey: body.writeKey ?? null,
  })
})
analytics.on('error', (error) => errors.push(`${error.code}: ${error.reason}`))

let pending = 0
const done = (err) => {
  pending -= 1
  if (err) errors.push(`callback: ${err}`)
}
const call = (method, params, name) => {
  pending += 1
  const messageId = plan.messageIdPrefix ? `${plan.messageIdPrefix}-${name}` : undefined
  analytics[method]({ ...params, ...(messageId ? { messageId } : {}) }, done)
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

const started = Date.now()
await analytics.closeAndFlush({ timeout: 30000 })
requests.forEach((request, i) => (request.status = statuses[i] ?? null))
process.stdout.write(
  JSON.stringify({
    library: { name: pkg.name, version: pkg.version },
    requests,
    errors,
    logs,
    closed: pending === 0,
    closeMs: Date.now() - started,
  }),
)
