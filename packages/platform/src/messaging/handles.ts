import { MessagePattern } from '@nestjs/microservices';
import { RPC_SEAM, type RpcReply, type RpcRequest, type RpcSubject } from '@pipevideo/contracts';

type Handler<S extends RpcSubject> = (msg: RpcRequest<S>) => Promise<RpcReply<S>> | RpcReply<S>;

/**
 * Marks a controller method as the handler of one request/reply subject of the seam map. The method
 * receives the request already decoded (validated once, here, with the decoder the map binds to the
 * subject; a malformed request answers BAD_REQUEST naming the field) and must answer the subject's reply
 * type: the compiler checks both, so a handler cannot choose its own types.
 */
export function Handles<S extends RpcSubject>(subject: S) {
  return <F extends Handler<S>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<F>): void => {
    const handler = descriptor.value!;
    const decode = RPC_SEAM[subject].decode as (payload: unknown) => RpcRequest<S>;
    // Nest calls a handler without parameter decorators with the raw (data, context) arguments.
    const decoded = function (this: unknown, data: unknown) {
      return handler.call(this, decode(data));
    };
    Object.defineProperty(decoded, 'name', { value: handler.name });
    descriptor.value = decoded as F;
    MessagePattern(subject)(target, key, descriptor);
  };
}
