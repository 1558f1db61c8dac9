import { HttpException } from '@nestjs/common';
import { DomainError, ErrorCode } from '@pipevideo/contracts';
import { ApiError, errorBodyFor, normalizeError, openaiErrorBody, videoErrorBody } from './api-error';
import { attributionFrom } from './attribution';
import { urlProblem } from './url-guard';

describe('error normalisation and shapes', () => {
  it('maps our errors, downstream typed errors and framework errors', () => {
    expect(normalizeError(new ApiError(ErrorCode.TOO_MANY_REQUESTS, 'slow down', { retryAfterSeconds: 7 }))).toMatchObject({ status: 429, retryAfterSeconds: 7 });
    expect(normalizeError(new DomainError(ErrorCode.BAD_REQUEST, 'Model x not found'))).toMatchObject({ status: 400, code: 'BAD_REQUEST', message: 'Model x not found' });
    expect(normalizeError(new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'router service unavailable'))).toMatchObject({ status: 503 });
    expect(normalizeError(new DomainError(ErrorCode.INTERNAL_SERVER_ERROR, 'stack trace here'))).toMatchObject({ status: 500, message: 'Internal server error' });
    expect(normalizeError(new HttpException('Request body is too large', 413))).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(normalizeError(new HttpException('Unsupported Media Type: application/xml', 415))).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(normalizeError(new HttpException("Body is not valid JSON but content-type is set to 'application/json'", 400)).message).toMatch(/^Malformed JSON body/);
    expect(normalizeError(new TypeError('x is undefined'))).toMatchObject({ status: 500, message: 'Internal server error' });
  });

  it('renders both public shapes', () => {
    const e = normalizeError(new ApiError(ErrorCode.BAD_REQUEST, 'width must be a positive integer number of pixels', { details: [{ field: 'width', message: 'w' }] }));
    expect(videoErrorBody(e)).toEqual({ error: { code: 'BAD_REQUEST', message: 'width must be a positive integer number of pixels', details: [{ field: 'width', message: 'w' }] } });
    expect(openaiErrorBody(e)).toMatchObject({ error: { message: 'width must be a positive integer number of pixels', type: 'invalid_request_error', param: 'width', code: 'bad_request' } });
    const rl = normalizeError(new ApiError(ErrorCode.TOO_MANY_REQUESTS, 'slow', { retryAfterSeconds: 3 }));
    expect(videoErrorBody(rl)).toEqual({ error: { code: 'TOO_MANY_REQUESTS', message: 'slow', retry_after: 3 } });
    expect(openaiErrorBody(rl).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded', retry_after: 3 });
    expect(errorBodyFor('/v1/responses/gen_1?x=1', e).error).toHaveProperty('type');
    expect(errorBodyFor('/v1/responsesX', e).error).toHaveProperty('code', 'BAD_REQUEST');
  });
});

describe('attribution headers', () => {
  it('prefers X-Pipevideo-Title over X-Title and HTTP-Referer over Referer; trims, caps and strips control characters', () => {
    expect(attributionFrom({})).toBeUndefined();
    expect(attributionFrom({ 'x-title': '  ' })).toBeUndefined();
    expect(attributionFrom({ 'x-title': 'B', 'x-pipevideo-title': 'A', referer: 'https://r', 'http-referer': 'https://h' })).toEqual({ title: 'A', referer: 'https://h' });
    expect(attributionFrom({ 'x-title': 'a\u0000b\nc' })).toEqual({ title: 'a b c' });
    expect(attributionFrom({ 'x-title': 'x'.repeat(500) })!.title!.length).toBe(100);
    // Only the origin of a referer travels on: never a path, a query (tokens) or credentials.
    expect(attributionFrom({ referer: 'https://browser.example/page' })).toEqual({ referer: 'https://browser.example' });
    expect(attributionFrom({ 'http-referer': 'https://u:p@App.Example:8443/x?session_token=abc#f' })).toEqual({ referer: 'https://app.example:8443' });
    expect(attributionFrom({ 'http-referer': 'not a url' })).toBeUndefined();
    // Bidi overrides and zero-width characters are not display text.
    expect(attributionFrom({ 'x-title': '\u202eCat\u200b Studio' })).toEqual({ title: 'Cat Studio' });
  });
});

describe('url guard', () => {
  it('refuses undecodable paths and over-long segments, lets the rest through', () => {
    expect(urlProblem('/v1/models/google/veo-3.1')).toBeNull();
    expect(urlProblem('/v1/video/generations/%')).toMatchObject({ status: 400 });
    expect(urlProblem('/v1/video/generations/' + 'a'.repeat(101))).toMatchObject({ status: 404 });
    expect(urlProblem('/v1/usage?cursor=%zz')).toBeNull();
  });
});
