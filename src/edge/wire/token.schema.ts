import { Type, type Static } from '@sinclair/typebox';
import { Identifier, TOKEN_MAX, Url } from './fields.js';
import { SessionId } from './session.schema.js';

const Locale = Type.Unsafe<'en' | 'ru'>({ type: 'string', enum: ['en', 'ru'] });
/** The SG examples send some booleans as strings ("true"); both forms are accepted. */
const Flag = Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false')], { errorMessage: 'must be true or false' });

export const PublicTokenBody = Type.Object(
  {
    tokenize_widget: Type.Optional(Type.Object({ access: Type.Optional(Flag), locale: Type.Optional(Locale) })),
    acquiring_widget: Type.Optional(
      Type.Object({
        session_id: SessionId,
        locale: Type.Optional(Locale),
        show_recurrent_checkbox: Type.Optional(Flag),
        success_return_url: Type.Optional(Url({ http: true })),
        failure_return_url: Type.Optional(Url({ http: true })),
        success_on_hold: Type.Optional(Flag),
      }),
    ),
    fps_no_account_widget: Type.Optional(Type.Object({ session_id: SessionId })),
    self_employed_widget: Type.Optional(
      Type.Object({
        tax_reference: Type.String({ pattern: '^[0-9]{12}$', errorMessage: 'must be a tax reference of 12 digits', description: "The self-employed person's tax reference (INN)" }),
      }),
    ),
  },
  { title: 'PublicTokenRequest' },
);
export type PublicTokenBody = Static<typeof PublicTokenBody>;

export const TokenInfoBody = Type.Object(
  {
    type: Type.Unsafe<'card' | 'public_token' | 'recurrent_token'>({ type: 'string', enum: ['card', 'public_token', 'recurrent_token'] }),
    card: Type.Optional(Type.Object({ type: Type.Optional(Type.String()), encrypted_card: Type.Object({ number_hash: Identifier(TOKEN_MAX) }) })),
    public_token: Type.Optional(Type.Object({ token: Identifier(TOKEN_MAX) })),
    recurrent_token: Type.Optional(Type.Object({ token: Identifier(TOKEN_MAX) })),
  },
  { title: 'TokenInfoRequest' },
);
export type TokenInfoBody = Static<typeof TokenInfoBody>;

export const RecurrentBody = Type.Object({ recurrent: Type.Object({ token: Identifier(TOKEN_MAX) }) }, { title: 'RecurrentTokenRequest' });
export type RecurrentBody = Static<typeof RecurrentBody>;

export const TokenizeCardBody = Type.Object(
  {
    card: Type.Object({
      number: Type.String({ pattern: '^[0-9]{12,19}$', format: 'card-number', errorMessage: 'must be 12 to 19 digits' }),
      expiration_month: Type.String({ pattern: '^(0[1-9]|1[0-2])$', errorMessage: 'must be a two-digit month, 01 to 12' }),
      expiration_year: Type.String({ pattern: '^[0-9]{2}$', errorMessage: 'must be a two-digit year, YY' }),
      security_code: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$', errorMessage: 'must be 3 or 4 digits' })),
    }),
  },
  { title: 'TokenizeCardRequest' },
);
export type TokenizeCardBody = Static<typeof TokenizeCardBody>;
