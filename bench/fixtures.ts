// The one fixed instance of each benchmark message, written in streampath's
// representation (plain objects, lowerCamelCase names, bigint for 64-bit
// integers, oneofs as `{ case, value }`). Each codec adapter converts these
// into its own library's representation once, before anything is timed.

/** Expected encoded sizes; codec.ts fails if any codec produces another size. */
export const EXPECTED_SMALL_BYTES = 205;
export const EXPECTED_LARGE_BYTES = 1002;

export interface TimestampData {
  seconds: bigint;
  nanos: number;
}

export interface AttributeData {
  value: string;
  weight: number;
}

export type SmallPayload =
  | { case: "text"; value: string }
  | { case: "code"; value: number }
  | { case: "detail"; value: AttributeData }
  | { case: undefined };

export interface SmallData {
  id: string;
  displayName: string;
  balanceDelta: bigint;
  sampleIds: number[];
  attributes: { [key: string]: AttributeData };
  payload: SmallPayload;
  createdAt: TimestampData | undefined;
  checksum: Uint8Array;
}

/** Mirrors `enum bench.OrderStatus`; numeric like every codec's enums. */
export const OrderStatus = {
  UNSPECIFIED: 0,
  PENDING: 1,
  PAID: 2,
  SHIPPED: 3,
} as const;

export interface MoneyData {
  currencyCode: string;
  units: bigint;
  nanos: number;
}

export interface AddressData {
  recipient: string;
  streetLines: string[];
  city: string;
  postalCode: string;
  countryCode: string;
}

export interface LineItemData {
  sku: string;
  title: string;
  quantity: number;
  unitPrice: MoneyData | undefined;
  tags: string[];
  weightKg: number;
  giftWrap: boolean;
}

export interface LargeData {
  orderId: string;
  customerId: bigint;
  status: number;
  shippingAddress: AddressData | undefined;
  billingAddress: AddressData | undefined;
  items: LineItemData[];
  subtotal: MoneyData | undefined;
  shipping: MoneyData | undefined;
  total: MoneyData | undefined;
  tags: string[];
  placedAt: TimestampData | undefined;
  customerNote: string;
  express: boolean;
}

/** A user profile update: every field set, so no codec can skip a default. */
export const smallFixture: SmallData = {
  id: "usr_01HZX3K9Q8WJ5M2N7P4R6T",
  displayName: "Ada Lovelace (Analytical Engine Society)",
  balanceDelta: -1_234_567_890_123n,
  sampleIds: [17, 4_096, 65_537, 1_000_003, 2_147_483_647, 4_294_967_295],
  attributes: {
    plan: { value: "enterprise", weight: 10 },
    region: { value: "eu-west-1", weight: 3 },
  },
  payload: { case: "detail", value: { value: "priority-support", weight: 7 } },
  createdAt: { seconds: 1_717_171_717n, nanos: 123_456_789 },
  checksum: Uint8Array.from([
    0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0,
    0xc5, 0x5a, 0xd0, 0x15,
  ]),
};

const usd = (units: bigint, nanos: number): MoneyData => ({
  currencyCode: "USD",
  units,
  nanos,
});

function lineItem(
  sku: string,
  title: string,
  quantity: number,
  cents: number,
  tags: string[],
  weightKg: number,
): LineItemData {
  return {
    sku,
    title,
    quantity,
    tags,
    weightKg,
    unitPrice: usd(BigInt(Math.trunc(cents / 100)), (cents % 100) * 10_000_000),
    giftWrap: quantity === 1,
  };
}

const warehouse: AddressData = {
  recipient: "Grace Hopper",
  streetLines: ["1200 Harbor Boulevard", "Suite 400, Receiving Dock B"],
  city: "Arlington",
  postalCode: "22202-4135",
  countryCode: "US",
};

/** An e-commerce order with six line items and two addresses. */
export const largeFixture: LargeData = {
  orderId: "ord_2024_06_01_000187342",
  // Above 2^53 on purpose: a codec that goes through `number` would corrupt it.
  customerId: 9_007_199_254_740_993n,
  status: OrderStatus.PAID,
  shippingAddress: warehouse,
  billingAddress: {
    ...warehouse,
    recipient: "Accounts Payable, Hopper Industries",
    streetLines: ["PO Box 7781"],
  },
  items: [
    lineItem(
      "KB-MX-BRN-104",
      "Mechanical keyboard, brown switches",
      2,
      12_999,
      ["peripherals", "bestseller"],
      1.12,
    ),
    lineItem(
      "MS-ERGO-V2",
      "Vertical ergonomic mouse",
      2,
      5_450,
      ["peripherals"],
      0.18,
    ),
    lineItem(
      "MON-27-4K-IPS",
      '27" 4K IPS monitor with USB-C hub',
      1,
      44_900,
      ["displays", "fragile", "oversize"],
      6.4,
    ),
    lineItem(
      "CBL-USBC-2M",
      "USB-C to USB-C cable, 2 m, 100 W",
      6,
      1_299,
      ["cables"],
      0.06,
    ),
    lineItem(
      "DESK-MAT-XL",
      "Felt desk mat, extra large, charcoal",
      1,
      3_900,
      ["accessories", "gift"],
      0.75,
    ),
    lineItem(
      "HUB-TB4-DOCK",
      "Thunderbolt 4 dock, 11 ports, 96 W charging",
      1,
      24_900,
      ["docks", "bestseller"],
      0.92,
    ),
  ],
  subtotal: usd(1_077n, 820_000_000),
  shipping: usd(24n, 990_000_000),
  total: usd(1_102n, 810_000_000),
  tags: ["priority", "b2b", "net-30", "fragile-handling"],
  placedAt: { seconds: 1_717_200_000n, nanos: 250_000_000 },
  customerNote:
    "Please deliver to the loading dock before 4 pm and call the front desk on arrival; the monitor box must stay upright.",
  express: true,
};

/**
 * A string field read from every decoded message inside the timed loop, so
 * the result is used and the decode cannot be optimised away. protoc-based
 * peers and protobufjs all name it the same in JavaScript.
 */
export const probeField = { small: "id", large: "orderId" } as const;
