//! The order calls the live executor needs beyond [`RestClient`]'s own:
//! query an order by our id, place, cancel and list conditional (algo)
//! orders, list open orders (PROTOCOL.md §6.2–§6.4). Kept apart from
//! `rest.rs` so that the two grow independently.

use super::rest::{RestClient, RestError};
use quantumtrade::exchange::binance::order::{ClientOrderId, OrderId};
use quantumtrade::exchange::binance::rate_limit::Cost;
use quantumtrade::exchange::binance::request::{
    AlgoRef, Endpoint, HttpMethod, NewAlgoOrder, OrderRef, Security, algo_ref_params, as_pairs,
    order_ref_params,
};
use quantumtrade::exchange::binance::rest::{AlgoOrderResponse, OrderResponse};

/// `GET /fapi/v1/algoOrder` (one conditional order).
const QUERY_ALGO_ORDER: Endpoint = Endpoint {
    method: HttpMethod::Get,
    path: "/fapi/v1/algoOrder",
    security: Security::Signed,
};

impl RestClient {
    /// `GET /fapi/v1/order?origClientOrderId=` (signed, weight 1): the
    /// order we sent as `client_id`, whatever its state.
    ///
    /// # Errors
    /// As [`Self::send`]; an order the venue does not know is `-2013`.
    pub async fn query_order_by_client_id(
        &self,
        symbol: &str,
        client_id: &ClientOrderId,
    ) -> Result<OrderResponse, RestError> {
        let params = order_ref_params(symbol, &OrderRef::Client(client_id.clone()));
        self.get(Endpoint::QUERY_ORDER, &as_pairs(&params), Cost::weight(1))
            .await
    }

    /// `GET /fapi/v1/order?orderId=` (signed, weight 1): an order by the
    /// venue's id (e.g. the one a triggered conditional order placed).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn query_order_by_venue_id(
        &self,
        symbol: &str,
        order_id: OrderId,
    ) -> Result<OrderResponse, RestError> {
        let params = order_ref_params(symbol, &OrderRef::Venue(order_id));
        self.get(Endpoint::QUERY_ORDER, &as_pairs(&params), Cost::weight(1))
            .await
    }

    /// `POST /fapi/v1/algoOrder` (signed; IP weight 0, one order on the
    /// order counters).
    ///
    /// # Errors
    /// As [`Self::send`]; `-2021` when the trigger would fire at once.
    pub async fn new_algo_order(
        &self,
        order: &NewAlgoOrder,
    ) -> Result<AlgoOrderResponse, RestError> {
        let params = order.params();
        self.get(
            Endpoint::NEW_ALGO_ORDER,
            &as_pairs(&params),
            Cost {
                weight: 0,
                orders: 1,
            },
        )
        .await
    }

    /// `DELETE /fapi/v1/algoOrder` (signed, weight 1). The answer's body is
    /// not needed (its `code` is a string, §3): success is the 2xx.
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn cancel_algo_order(&self, algo: &AlgoRef) -> Result<(), RestError> {
        let params = algo_ref_params(algo);
        self.send(
            Endpoint::CANCEL_ALGO_ORDER,
            &as_pairs(&params),
            Cost::weight(1),
        )
        .await
        .map(|_| ())
    }

    /// `GET /fapi/v1/algoOrder` (signed, weight 1): one conditional order.
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn query_algo_order(&self, algo: &AlgoRef) -> Result<AlgoOrderResponse, RestError> {
        let params = algo_ref_params(algo);
        self.get(QUERY_ALGO_ORDER, &as_pairs(&params), Cost::weight(1))
            .await
    }

    /// `GET /fapi/v1/openAlgoOrders` for every symbol (signed, weight 40).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn every_open_algo_order(&self) -> Result<Vec<AlgoOrderResponse>, RestError> {
        self.get(Endpoint::OPEN_ALGO_ORDERS, &[], Cost::weight(40))
            .await
    }

    /// `GET /fapi/v1/openOrders` for every symbol (signed, weight 40).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn every_open_order(&self) -> Result<Vec<OrderResponse>, RestError> {
        self.get(Endpoint::OPEN_ORDERS, &[], Cost::weight(40)).await
    }
}
