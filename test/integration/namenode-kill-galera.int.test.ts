// The kill -9 fault test (namenode-kill.int.test.ts) on a private 3-node Galera cluster
// (test/support/galera.ts), each NameNode on a different node. `npm run test:galera` runs it.
process.env.HOPS_NNKILL_DB = 'galera'
await import('./namenode-kill.int.test.js')
