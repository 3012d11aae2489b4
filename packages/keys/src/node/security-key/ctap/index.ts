/**
 * The CTAP2-over-USB-HID security-key backend and the pieces it is made of that a caller may
 * want on their own: the HidDevice interface (any transport), hidraw discovery, the CTAPHID
 * channel. Re-exports only.
 * @module
 */
export { CtapBackend, type CtapBackendOptions } from './backend.ts';
export { CtapHidChannel, type CtapOperation, type HidDevice, HID_REPORT_SIZE } from './ctaphid.ts';
export { type HidrawOptions, isFidoReportDescriptor, listHidrawDevices, openHidraw } from './hidraw.ts';
export { CTAP_STATUS } from './status.ts';
