import { Type } from '@sinclair/typebox';

export const ErrorObject = Type.Object({ code: Type.String(), description: Type.String() }, { title: 'Error' });
export const ErrorResponse = Type.Object({ status: Type.Literal('error'), error: ErrorObject }, { title: 'ErrorResponse' });
