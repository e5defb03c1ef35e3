// oidc-provider ships no type declarations; the bench only needs it as an untyped value.
declare module "oidc-provider" {
	const Provider: any;
	export default Provider;
}
