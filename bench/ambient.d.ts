// oidc-provider ships no type declarations; the bench only needs it as an untyped value.
declare module "oidc-provider" {
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	const Provider: any;
	export default Provider;
}
