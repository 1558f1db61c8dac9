import { SAMPLE_MP4_BASE64 } from './media/sample-mp4';

/** A real, playable 1-second 128x72 H.264 MP4 (ftyp box first, moov before mdat). */
export const SAMPLE_MP4: Buffer = Buffer.from(SAMPLE_MP4_BASE64, 'base64');

export const MP4_CONTENT_TYPE = 'video/mp4';
export const LOTTIE_CONTENT_TYPE = 'application/json';

export interface LottieAnimation {
  v: string;
  fr: number;
  ip: number;
  op: number;
  w: number;
  h: number;
  nm: string;
  ddd: number;
  assets: unknown[];
  layers: unknown[];
}

/** A real Lottie animation: one shape layer (a filled circle) moving left to right over 2 s at 30 fps. */
export function lottieAnimation(w = 512, h = 512, name = 'pipevideo-sandbox'): LottieAnimation {
  const op = 60;
  const r = Math.max(8, Math.round(Math.min(w, h) / 5));
  return {
    v: '5.7.4',
    fr: 30,
    ip: 0,
    op,
    w,
    h,
    nm: name,
    ddd: 0,
    assets: [],
    layers: [
      {
        ddd: 0,
        ind: 1,
        ty: 4,
        nm: 'Circle',
        sr: 1,
        ks: {
          o: { a: 0, k: 100 },
          r: { a: 0, k: 0 },
          p: {
            a: 1,
            k: [
              { t: 0, s: [Math.round(w * 0.2), Math.round(h / 2), 0], i: { x: [0.667], y: [1] }, o: { x: [0.333], y: [0] } },
              { t: op, s: [Math.round(w * 0.8), Math.round(h / 2), 0] },
            ],
          },
          a: { a: 0, k: [0, 0, 0] },
          s: { a: 0, k: [100, 100, 100] },
        },
        ao: 0,
        shapes: [
          {
            ty: 'gr',
            nm: 'Circle Group',
            it: [
              { ty: 'el', d: 1, nm: 'Ellipse', s: { a: 0, k: [r, r] }, p: { a: 0, k: [0, 0] } },
              { ty: 'fl', nm: 'Fill', c: { a: 0, k: [0.2, 0.5, 1, 1] }, o: { a: 0, k: 100 }, r: 1 },
              {
                ty: 'tr',
                nm: 'Transform',
                p: { a: 0, k: [0, 0] },
                a: { a: 0, k: [0, 0] },
                s: { a: 0, k: [100, 100] },
                r: { a: 0, k: 0 },
                o: { a: 0, k: 100 },
                sk: { a: 0, k: 0 },
                sa: { a: 0, k: 0 },
              },
            ],
          },
        ],
        ip: 0,
        op,
        st: 0,
        bm: 0,
      },
    ],
  };
}
