/* Stand-in for ESP-IDF's esp_netif_ip_addr.h: the IPv6 address kinds arduino-esp32's
 * IPAddress.h names in a signature (declarations only, see README.md). */
#ifndef ESP32_CHECK_ESP_NETIF_IP_ADDR_H
#define ESP32_CHECK_ESP_NETIF_IP_ADDR_H

typedef enum {
  ESP_IP6_ADDR_IS_UNKNOWN,
  ESP_IP6_ADDR_IS_GLOBAL,
  ESP_IP6_ADDR_IS_LINK_LOCAL,
  ESP_IP6_ADDR_IS_SITE_LOCAL,
  ESP_IP6_ADDR_IS_UNIQUE_LOCAL,
  ESP_IP6_ADDR_IS_IPV4_MAPPED_IPV6
} esp_ip6_addr_type_t;

#endif
