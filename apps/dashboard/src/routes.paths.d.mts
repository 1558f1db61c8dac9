export declare const PAGE_PATHS: string[];
