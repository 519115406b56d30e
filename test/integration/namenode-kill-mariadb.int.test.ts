// The kill -9 fault test (namenode-kill.int.test.ts) on MariaDB: a fresh database on the local
// server (test/support/mysql.ts), the three NameNodes on it. A file of its own, so that it runs
// beside the PostgreSQL one.
process.env.HOPS_NNKILL_DB = 'mariadb'
await import('./namenode-kill.int.test.js')
