/**
 * A minimal activemq.xml for benchmarking ActiveMQ Classic side by side with FerryMQ: one STOMP
 * transportConnector on 127.0.0.1:PORT (tcpNoDelay, as FerryMQ's listener), KahaDB in DIR (its
 * default journalDiskSyncStrategy=always: an fsync before a persistent send is confirmed, like
 * FerryMQ's journal with sync: true), no JMX, no scheduler, no web console (jetty.xml is not
 * imported). Memory limit as the stock activemq.xml: 70% of the JVM heap.
 *
 * Instead of KahaDB in DIR, the store can be a KahaDB directory shared by a master/slave pair
 * (ActiveMQ's "shared file system master/slave") or the JDBC persistence adapter on a PostgreSQL
 * database, through a commons-dbcp 1.4 pool: the DataSource class Debian's package links into
 * lib/optional (commons-dbcp.jar); ActiveMQ's docs show the same bean with dbcp2, which the
 * package does not ship. Every other adapter and locker setting is ActiveMQ's default, unless a
 * lease holder id asks for the lease locker with the settings of ActiveMQ's "Pluggable storage
 * lockers" page (each broker of a pair needs its own holder id there).
 *
 * Tests (test/helpers/activemq-broker.ts) add an OpenWire connector and their own broker name
 * through `extra`; without it the XML is the bench's, unchanged.
 *
 * Also a CLI: `node dist/bench/activemq-config.js PORT DIR` prints the XML.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

/** The stock activemq.xml's memoryUsage: producer flow control starts at 70% of the heap. */
const MEMORY_PERCENT_OF_HEAP = 70;
/** Store and temp limits well under a benchmark machine's free disk, so ActiveMQ does not warn. */
const STORE_LIMIT = '4 gb';
const TEMP_LIMIT = '2 gb';

function xmlAttr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Where the broker keeps persistent messages. */
export type ActiveMqStore =
  | { readonly kind: 'kahadb'; readonly directory: string }
  | {
      readonly kind: 'jdbc';
      readonly host: string;
      readonly port: number;
      readonly database: string;
      readonly user: string;
      readonly password: string;
      /** Use the lease database locker, holding the lease under this id (unique per broker). */
      readonly leaseHolderId?: string | undefined;
    };

/** The adapter's lockKeepAlivePeriod (the lease length) in the docs' lease-locker example. */
const LEASE_KEEP_ALIVE_MS = 5_000;
/** The lease locker's lockAcquireSleepInterval in that example (also every locker's default). */
const LEASE_ACQUIRE_SLEEP_MS = 10_000;

/** The JDBC driver Debian's libpostgresql-jdbc-java installs (ActiveMQ ships no JDBC driver). */
export const POSTGRES_JDBC_JAR = '/usr/share/java/postgresql.jar';

function persistenceAdapter(store: ActiveMqStore): string {
  if (store.kind === 'kahadb') return `<kahaDB directory="${xmlAttr(store.directory)}"/>`;
  if (store.leaseHolderId === undefined) return '<jdbcPersistenceAdapter dataSource="#postgres-ds"/>';
  return `<jdbcPersistenceAdapter dataSource="#postgres-ds" lockKeepAlivePeriod="${LEASE_KEEP_ALIVE_MS}">
        <locker><lease-database-locker lockAcquireSleepInterval="${LEASE_ACQUIRE_SLEEP_MS}" leaseHolderId="${xmlAttr(store.leaseHolderId)}"/></locker>
      </jdbcPersistenceAdapter>`;
}

/** The DataSource bean the JDBC adapter refers to (`#postgres-ds`), at the Spring level. */
function dataSourceBean(store: ActiveMqStore): string {
  if (store.kind !== 'jdbc') return '';
  const url = `jdbc:postgresql://${store.host}:${store.port}/${store.database}`;
  return `
  <bean id="postgres-ds" class="org.apache.commons.dbcp.BasicDataSource" destroy-method="close">
    <property name="driverClassName" value="org.postgresql.Driver"/>
    <property name="url" value="${xmlAttr(url)}"/>
    <property name="username" value="${xmlAttr(store.user)}"/>
    <property name="password" value="${xmlAttr(store.password)}"/>
    <property name="poolPreparedStatements" value="true"/>
  </bean>`;
}

/** What tests add to the bench's broker. */
export interface ActiveMqXmlExtra {
  /** An OpenWire transportConnector on 127.0.0.1:PORT (besides STOMP on `port`). */
  readonly openwirePort?: number | undefined;
  /** Default `bench`. */
  readonly brokerName?: string | undefined;
}

function openwireConnector(port: number | undefined): string {
  if (port === undefined) return '';
  return `
      <transportConnector name="openwire" uri="tcp://127.0.0.1:${port}?transport.tcpNoDelay=true"/>`;
}

export function activemqXml(
  port: number,
  dir: string,
  store: ActiveMqStore = { kind: 'kahadb', directory: `${dir}/data/kahadb` },
  extra: ActiveMqXmlExtra = {},
): string {
  const d = xmlAttr(dir);
  return `<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
         http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="${xmlAttr(extra.brokerName ?? 'bench')}" useJmx="false"
          schedulerSupport="false" persistent="true" dataDirectory="${d}/data">
    <persistenceAdapter>
      ${persistenceAdapter(store)}
    </persistenceAdapter>
    <systemUsage>
      <systemUsage>
        <memoryUsage><memoryUsage percentOfJvmHeap="${MEMORY_PERCENT_OF_HEAP}"/></memoryUsage>
        <storeUsage><storeUsage limit="${STORE_LIMIT}"/></storeUsage>
        <tempUsage><tempUsage limit="${TEMP_LIMIT}"/></tempUsage>
      </systemUsage>
    </systemUsage>
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:${port}?transport.tcpNoDelay=true"/>${openwireConnector(extra.openwirePort)}
    </transportConnectors>
  </broker>${dataSourceBean(store)}
</beans>
`;
}

/** Debian's package logs through slf4j-log4j12 (log4j 1.2): warnings and errors to the console. */
export const ACTIVEMQ_LOG4J_PROPERTIES = `log4j.rootLogger=WARN, console
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=activemq %-5p %c{1} - %m%n
`;

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const port = Number(process.argv[2]);
  const dir = process.argv[3];
  if (!Number.isInteger(port) || port <= 0 || dir === undefined) {
    console.error('usage: node dist/bench/activemq-config.js PORT DIR');
    process.exit(2);
  }
  process.stdout.write(activemqXml(port, dir));
}

/** The JVM arguments that start ActiveMQ from its install `home` on the activemq.xml in `dir`. */
export function activemqLaunchArgs(home: string, dir: string, heap: readonly string[]): string[] {
  return [
    ...heap,
    `-Dactivemq.home=${home}`,
    `-Dactivemq.base=${dir}`,
    `-Dactivemq.conf=${dir}`,
    `-Dactivemq.data=${join(dir, 'data')}`,
    `-Djava.io.tmpdir=${dir}`,
    `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
    '-jar',
    join(home, 'bin', 'activemq.jar'),
    'start',
    `xbean:file:${join(dir, 'activemq.xml')}`,
  ];
}
