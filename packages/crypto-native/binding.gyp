{
  "targets": [
    {
      "target_name": "ssh_crypto_native",
      "sources": ["native/aes_gcm.c", "native/socket_options.c", "native/zlib_stream.c", "native/napi_args.c", "native/chacha_poly.c", "native/pkcs11.c", "native/gssapi.c", "native/sk_provider.c"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS=='linux'", { "libraries": ["-ldl", "-lpthread"] }]],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2", "-Wall", "-Wextra"] }
    },
    {
      "target_name": "ssh_tun_device",
      "sources": ["native/tun_device.c", "native/napi_args.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2", "-Wall", "-Wextra"] }
    }
  ]
}
