#pragma once

#include <cstdint>

namespace healthgap::testing {

// Segments carrying data that the connection `fd` has received so far (TCP_INFO's
// tcpi_data_segs_in): tells apart a response sent in one write from one sent in several.
// In a file of its own because <linux/tcp.h> and <netinet/tcp.h> cannot meet.
std::uint32_t DataSegmentsReceived(int fd);

}  // namespace healthgap::testing
