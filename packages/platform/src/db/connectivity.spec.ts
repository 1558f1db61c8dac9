import { isConnectivityError } from './connectivity';

describe('isConnectivityError', () => {
  it.each([
    ['PostgreSQL restarting (57P01 admin shutdown)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['database refusing connections', Object.assign(new Error('database "x" is not currently accepting connections'), { code: '55000' })],
    ['server starting up (57P03)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['pg pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['socket closed under a query', new Error('Connection terminated unexpectedly')],
    ['TypeORM QueryFailedError wrapping a driver error', Object.assign(new Error('query failed'), { driverError: { code: '08006', message: 'connection failure' } })],
  ])('%s → unavailable', (_name, err) => expect(isConnectivityError(err)).toBe(true));

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })],
    ['a syntax error in our SQL', Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error at all', 'boom'],
    ['nothing', undefined],
  ])('%s → not unavailable (stays a 500)', (_name, err) => expect(isConnectivityError(err)).toBe(false));
});
